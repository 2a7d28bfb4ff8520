/* Dispute detail: reverseOrderLineRenderForBuyer with {reverseOrderLineId}. Shows the status,
 * the buyer's request, the latest proposal with "Respond before <time>" and a live countdown,
 * the deadlines, the mediator's request, the history and the evidence; the buttons call the
 * (sandbox-assumed) action API and then reload the data. Accept asks for confirmation first:
 * accepting closes the dispute for good. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var API_DETAIL = 'mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer';
  var API_ACTION = 'mtop.aliexpress.reverse.buyer.action';
  var id = Site.query('reverseOrderLineId');
  var body = Site.byId('reverse-detail-body');
  var actions = Site.byId('reverse-actions');
  var errorBox = Site.byId('reverse-action-error');
  var notice = Site.byId('reverse-action-notice');
  var current = null;
  var BUTTONS = {
    ACCEPT: 'reverse-accept', REJECT: 'reverse-reject', ESCALATE: 'reverse-escalate',
    ANSWER_MEDIATOR: 'reverse-answer', SHIP_RETURN: 'reverse-ship-return', ADD_EVIDENCE: 'reverse-add-evidence'
  };
  var PANELS = ['reverse-reject-panel', 'reverse-evidence-panel', 'reverse-answer-panel', 'reverse-return-panel'];
  var PROPOSER = { SELLER: "Seller's proposal", PLATFORM: "Platform's proposal", BUYER: 'Your request' };

  function money(m) { return (m && m.formatMoney) || ''; }

  /* a deadline: absolute time plus a live countdown from the server's curTime */
  function deadline(d, curTime, cls, label) {
    var seconds = Math.max(0, (d.time - curTime) / 1000);
    var prefix = (d.countdownText || '').replace(/(\d+ days? )?\d{2}:\d{2}:\d{2}\s*$/, '');
    return [
      el('div', { class: cls + '-deadline', 'data-time': d.time, text: label + ' ' + d.timeFormat }),
      el('div', { class: cls + '-countdown' }, prefix, Site.countdown(seconds, 'reverse-countdown-time'))
    ];
  }

  function section(cls, title) {
    var node = el('div', { class: 'reverse-section ' + cls });
    if (title) node.appendChild(el('div', { class: 'reverse-section-title', text: title }));
    return node;
  }

  function render(m, curTime) {
    body.innerHTML = '';
    var status = section('reverse-status');
    status.setAttribute('data-status', m.reverseDetailStatus);
    status.appendChild(el('div', { class: 'reverse-status-text', text: m.reverseDetailStatusText }));
    if (m.reverseFinishInfo) {
      var fin = m.reverseFinishInfo;
      status.appendChild(el('div', { class: 'reverse-result', 'data-result': fin.result },
        (fin.result === 'WON' ? 'Closed in your favour' : 'Closed') + ' on ' + fin.finishTimeFormat + '. Refund: ',
        el('span', { class: 'reverse-result-refund', text: money(fin.refundInfo) })));
    }
    body.appendChild(status);

    body.appendChild(el('div', { class: 'reverse-section reverse-item' },
      el('div', { class: 'reverse-item-img', style: 'background-image: url(/static/item.png)' }),
      el('div', { class: 'reverse-item-info' },
        el('div', { class: 'reverse-item-title', text: m.itemTitle }),
        el('div', { class: 'reverse-item-order' }, 'Order ID: ',
          el('a', { href: Site.www('/p/order/detail.html?orderId=' + encodeURIComponent(m.tradeOrderId)), text: m.tradeOrderId }))),
      el('div', { class: 'reverse-item-paid' }, 'Amount paid: ', el('span', { class: 'reverse-item-paid-value', text: money(m.paidAmount) }))));

    var p = m.reachSolution;
    if (p) {
      var proposal = section('reverse-proposal', PROPOSER[p.proposer] || 'Proposal');
      proposal.setAttribute('data-proposer', p.proposer);
      proposal.setAttribute('data-status', p.status);
      proposal.appendChild(el('div', { class: 'reverse-proposal-row' },
        el('span', { class: 'reverse-proposal-label', text: 'Refund: ' }),
        el('span', { class: 'reverse-proposal-amount', text: money(p.refundMoney) })));
      proposal.appendChild(el('div', { class: 'reverse-proposal-row' },
        el('span', { class: 'reverse-proposal-label', text: 'Solution: ' }),
        el('span', { class: 'reverse-proposal-solution', text: p.solutionTypeText })));
      proposal.appendChild(el('div', { class: 'reverse-proposal-status', text: 'Status: ' + p.status.toLowerCase() }));
      if (p.message) proposal.appendChild(el('div', { class: 'reverse-proposal-message', text: '“' + p.message + '”' }));
      if (p.respondDeadline) Site.append(proposal, deadline(p.respondDeadline, curTime, 'reverse-proposal', 'Respond before'));
      body.appendChild(proposal);
    }

    if (m.mediatorRequest) {
      var med = section('reverse-mediator-request', 'The mediator asks for information');
      med.appendChild(el('div', { class: 'reverse-mediator-text', text: m.mediatorRequest.requestText }));
      Site.append(med, deadline(m.mediatorRequest.deadline, curTime, 'reverse-mediator', 'Answer before'));
      body.appendChild(med);
    }

    var b = m.buyerSolution || {};
    var reason = m.applyReason || {};
    body.appendChild(el('div', { class: 'reverse-section reverse-request' },
      el('div', { class: 'reverse-section-title', text: 'Your request' }),
      el('div', { class: 'reverse-request-row' }, 'Reason: ', el('span', { class: 'reverse-request-reason', text: reason.reasonName })),
      el('div', { class: 'reverse-request-row' }, 'Package received: ', el('span', { class: 'reverse-request-received', text: reason.received ? 'Yes' : 'No' })),
      el('div', { class: 'reverse-request-row' }, 'Solution: ', el('span', { class: 'reverse-request-solution', text: b.solutionTypeText })),
      el('div', { class: 'reverse-request-row' }, 'Refund: ', el('span', { class: 'reverse-request-amount', text: money(b.refundMoney) })),
      el('div', { class: 'reverse-request-description', text: b.description }),
      el('div', { class: 'reverse-request-date', text: 'Opened on ' + b.gmtCreateFormat })));

    if ((m.deadlines || []).length) {
      var dl = section('reverse-deadlines', 'Deadlines');
      m.deadlines.forEach(function (d) {
        var seconds = Math.max(0, (d.time - curTime) / 1000);
        dl.appendChild(el('div', { class: 'reverse-deadline', 'data-type': d.type, 'data-time': d.time },
          el('span', { class: 'reverse-deadline-title', text: d.title + ': ' }),
          el('span', { class: 'reverse-deadline-time', text: d.timeFormat }),
          el('span', { class: 'reverse-deadline-countdown' }, ' (', Site.countdown(seconds, 'reverse-countdown-time'), ')')));
      });
      body.appendChild(dl);
    }

    var history = section('reverse-history', 'Negotiation history');
    (m.proposalHistory || []).forEach(function (h) {
      history.appendChild(el('div', { class: 'reverse-history-item', 'data-proposer': h.proposer, 'data-status': h.status },
        el('span', { class: 'reverse-history-date', text: h.gmtCreateFormat }),
        el('span', { class: 'reverse-history-proposer', text: PROPOSER[h.proposer] || h.proposer }),
        el('span', { class: 'reverse-history-solution', text: h.solutionTypeText }),
        el('span', { class: 'reverse-history-amount', text: money(h.refundMoney) }),
        el('span', { class: 'reverse-history-status', text: h.status.toLowerCase() }),
        h.message ? el('div', { class: 'reverse-history-message', text: h.message }) : null));
    });
    body.appendChild(history);

    if ((m.messages || []).length) {
      var msgs = section('reverse-messages', 'Messages');
      m.messages.forEach(function (msg) {
        msgs.appendChild(el('div', { class: 'reverse-message', 'data-from': msg.from },
          el('span', { class: 'reverse-message-from', text: msg.from === 'BUYER' ? 'You' : 'Seller' }),
          el('span', { class: 'reverse-message-text', text: msg.text })));
      });
      body.appendChild(msgs);
    }

    var evidence = section('reverse-evidence', 'Evidence');
    if (!(m.evidence || []).length) evidence.appendChild(el('div', { class: 'reverse-evidence-empty', text: 'No files yet.' }));
    (m.evidence || []).forEach(function (f) {
      evidence.appendChild(el('div', { class: 'reverse-evidence-item', 'data-sha256': f.sha256 },
        el('span', { class: 'reverse-evidence-name', text: f.fileName }),
        el('span', { class: 'reverse-evidence-size', text: ' (' + Math.max(1, Math.round(f.size / 1024)) + ' KB)' })));
    });
    body.appendChild(evidence);

    var shown = {};
    (m.buttons || []).forEach(function (btn) { shown[btn.type] = true; });
    Object.keys(BUTTONS).forEach(function (type) { Site.byId(BUTTONS[type]).hidden = !shown[type]; });
    actions.hidden = !(m.buttons || []).length;
    var currency = Site.byId('reverse-reject-currency');
    if (currency) currency.textContent = (m.paidAmount || {}).currency || '';
  }

  function load() {
    if (!id) { Site.showError(body, 'No dispute was given: the address needs ?reverseOrderLineId=…'); return Promise.resolve(); }
    Site.loading(true);
    return Site.mtop(API_DETAIL, { reverseOrderLineId: id }).then(function (answer) {
      if (!Site.ok(answer)) {
        actions.hidden = true;
        var notFound = Site.retCode(answer) === 'FAIL_BIZ_NOT_FOUND';
        Site.showError(body, (notFound ? 'Dispute not found: ' : 'The dispute could not be loaded: ') + Site.retMessage(answer),
          notFound ? null : load);
        return;
      }
      current = answer.data.module;
      render(current, answer.data.global.curTime);
    }).catch(function (error) {
      Site.showError(body, error.message || String(error), load);
    }).then(function () { Site.loading(false); });
  }

  function hidePanels() { PANELS.forEach(function (p) { Site.byId(p).hidden = true; }); }

  function say(message, isError) {
    errorBox.hidden = !isError;
    notice.hidden = !!isError;
    (isError ? errorBox : notice).textContent = message;
  }

  function act(action, form) {
    var data = form ? new FormData(form) : new FormData();
    data.set('reverseOrderLineId', id);
    data.set('action', action);
    errorBox.hidden = true;
    notice.hidden = true;
    Site.loading(true);
    return Site.mtop(API_ACTION, {}, { form: data }).then(function (answer) {
      if (!Site.ok(answer)) { say(Site.retMessage(answer), true); return false; }
      hidePanels();
      if (form) form.reset();
      say('Done. The dispute has been updated.', false);
      return load().then(function () { return true; });
    }).catch(function (error) {
      say(error.message || String(error), true);
      return false;
    }).then(function (result) { Site.loading(false); return result; });
  }

  function toggle(panelId) {
    var panel = Site.byId(panelId);
    var open = panel.hidden;
    hidePanels();
    panel.hidden = !open;
    if (open) panel.scrollIntoView({ block: 'center' });
  }

  Site.byId('reverse-accept').addEventListener('click', function () {
    var p = (current && current.reachSolution) || {};
    Site.modal({
      id: 'reverse-accept-dialog',
      title: 'Accept this proposal?',
      body: el('div', {},
        el('p', {}, 'You will get ', el('b', { text: money(p.refundMoney) }), ' (' + (p.solutionTypeText || '') + ').'),
        el('p', { text: 'Accepting closes the dispute for good: it cannot be reopened.' })),
      buttons: [
        { id: 'reverse-accept-cancel', text: 'Cancel' },
        { id: 'reverse-accept-confirm', text: 'Accept', primary: true, onclick: function (close) { close(); act('accept'); } }
      ]
    });
  });
  Site.byId('reverse-reject').addEventListener('click', function () { toggle('reverse-reject-panel'); });
  Site.byId('reverse-add-evidence').addEventListener('click', function () { toggle('reverse-evidence-panel'); });
  Site.byId('reverse-answer').addEventListener('click', function () { toggle('reverse-answer-panel'); });
  Site.byId('reverse-ship-return').addEventListener('click', function () { toggle('reverse-return-panel'); });
  Site.byId('reverse-escalate').addEventListener('click', function () { act('escalate'); });
  PANELS.forEach(function (panelId) {
    var panel = Site.byId(panelId);
    panel.addEventListener('submit', function (event) {
      event.preventDefault();
      act(panel.getAttribute('data-action'), panel);
    });
    Site.$('.reverse-panel-cancel', panel).addEventListener('click', hidePanels);
  });

  load();
})();
