/* The dispute page (m. host, /p/refund-amount/detail.html?tradeOrderLineId=…), drawn the
 * way today's React page is: CSS-module classes (Site.cm), texts as a person reads them.
 *
 * Data: reverseOrderLineRenderForBuyer as a POST with {_lang, terminalType, reverseOrderLineId,
 * reverseOrderId, tradeOrderId, tradeOrderLineId, shipTo} [EM]. The status line says what the
 * live page says ("Waiting for your response", "Waiting for AliExpress's feedback", "Refund
 * complete" [ARC]; the others are the sandbox's); the refund block shows the amount on the table
 * with its currency; the deadline of the stage is written out with a live countdown.
 *
 * Answering a proposal follows the live page's path [ARC]: "View possible solutions" lists the
 * solutions (each counter-proposal with an "Accept" that asks for confirmation), and
 * "I don't agree with above solution(s)" → "Upload more photos/videos" opens a dialog with the
 * evidence textarea, the photo input (a thumbnail appears once a photo is uploaded; photos still
 * uploading are not sent) and a new proposal amount. Escalation is a button only where the site
 * lets buyers escalate; otherwise the page says when AliExpress steps in. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var cm = Site.cm;
  var API_DETAIL = 'mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer';
  var API_ACTION = 'mtop.aliexpress.reverse.buyer.action';
  var UPLOAD_MS = 700;
  var root = Site.byId('root');
  var lineId = Site.query('tradeOrderLineId');
  var caseId = Site.query('reverseOrderLineId');
  var view = el('div', { class: cm('reverseDetail', 'body') });
  root.appendChild(view);
  var current = null;

  /* status line per reverseDetailStatus (100 observed [EM]; the other numbers are the sandbox's) */
  var STATUS = {
    10: "Waiting for the seller's response", 20: 'Waiting for your response', 30: "Waiting for AliExpress's feedback",
    31: 'AliExpress needs more information from you', 40: 'Please return the item'
  };
  var DESCRIPTION = {
    10: 'The seller has been told about your request.',
    20: 'The seller proposed a solution. If you do not answer in time, the request closes with it.',
    30: 'AliExpress is reviewing the case and will decide.',
    31: 'The mediator asks for more information. Without an answer in time, the case closes for the seller.',
    40: 'Ship the item back and enter the tracking number, or the payment goes to the seller.'
  };
  var PROPOSER = { SELLER: "Seller's solution", PLATFORM: "AliExpress's solution", BUYER: 'Your solution' };

  function money(m) { return (m && m.formatMoney) || ''; }
  function cents(m) { return m && typeof m.cent === 'number' ? m.cent : null; }
  function ofType(m, type) { return (m.deadlines || []).filter(function (d) { return d.type === type; })[0]; }

  /* the final refund, read as [EM] reads refundInfo: cashMoney, totalMoney, then the channels */
  function refundOf(info) {
    var details = (info && info.refundDetails) || {};
    if (details.cashMoney) return details.cashMoney;
    if (details.totalMoney) return details.totalMoney;
    var lines = (info && info.refundChannelDetails) || [];
    if (!lines.length) return null;
    var total = lines.reduce(function (sum, l) { return sum + (cents(l.money) || 0); }, 0);
    return { cent: total, currency: lines[0].money.currency, formatMoney: (lines[0].money.formatMoney || '') };
  }

  function statusText(m) {
    if (m.reverseDetailStatus === 100) {
      var refund = refundOf((m.reverseFinishInfo || {}).refundInfo);
      return refund && cents(refund) > 0 ? 'Refund complete' : 'Request closed';
    }
    return STATUS[m.reverseDetailStatus] || m.reverseDetailStatusText || '';
  }

  /* the deadline of the stage the buyer must watch: [label, {time, timeFormat}] */
  function stageDeadline(m) {
    var code = m.reverseDetailStatus;
    if (code === 20 && m.reachSolution && m.reachSolution.respondDeadline) return ['Respond before', m.reachSolution.respondDeadline];
    if (code === 10 && ofType(m, 'SELLER_RESPOND')) return ['The seller must respond before', ofType(m, 'SELLER_RESPOND')];
    if (code === 31 && m.mediatorRequest) return ['Answer before', m.mediatorRequest.deadline];
    if (code === 40 && ofType(m, 'RETURN_SHIPMENT')) return ['Ship the item back before', ofType(m, 'RETURN_SHIPMENT')];
    return null;
  }

  function section(title) {
    var node = el('div', { class: cm('reverseDetail', 'section') });
    if (title) node.appendChild(el('div', { class: cm('reverseDetail', 'sectionTitle'), text: title }));
    return node;
  }

  function banner(m, now) {
    var box = el('div', { class: cm('reminder', 'wrap') },
      el('div', { class: cm('reminder', 'statusStr'), text: statusText(m) }),
      el('div', { class: cm('reminder', 'statusDesc'), text: DESCRIPTION[m.reverseDetailStatus] || '' }));
    var due = stageDeadline(m);
    if (due) {
      box.appendChild(el('div', { class: cm('deadline', 'text') }, due[0] + ' ' + due[1].timeFormat + ' (',
        el('span', { class: cm('deadline', 'countdown') }, Site.countdown((due[1].time - now) / 1000)), ' left)'));
    }
    var platform = ofType(m, 'PLATFORM_ESCALATION');
    if (platform) {
      box.appendChild(el('div', { class: cm('reminder', 'platform'),
        text: 'If you and the seller cannot agree, AliExpress will step in on ' + platform.timeFormat + '.' }));
    }
    var from = ofType(m, 'ESCALATE_AVAILABLE');
    if (from && from.time > now) {
      box.appendChild(el('div', { class: cm('reminder', 'platform'), text: 'You can escalate the dispute from ' + from.timeFormat + '.' }));
    }
    return box;
  }

  /* the amount on the table: the final refund, else the proposal to answer, else the request */
  function refundBlock(m) {
    var title;
    var amount;
    var solution;
    if (m.reverseFinishInfo) {
      title = 'Refund';
      amount = refundOf(m.reverseFinishInfo.refundInfo);
      solution = m.reachSolution ? m.reachSolution.solutionTypeText : '';
    } else if (m.reachSolution) {
      title = PROPOSER[m.reachSolution.proposer] || 'Proposed solution';
      amount = m.reachSolution.refundMoney;
      solution = m.reachSolution.solutionTypeText;
    } else {
      title = 'Your request';
      amount = (m.buyerSolution || {}).refundMoney;
      solution = (m.buyerSolution || {}).solutionTypeText;
    }
    return el('div', { class: cm('newReverseRefundInfo', 'wrap') },
      el('div', { class: cm('newReverseRefundInfo', 'title'), text: title }),
      el('div', { class: cm('newReverseRefundInfo', 'amount'), text: money(amount) }),
      el('div', { class: cm('newReverseRefundInfo', 'solution'), text: solution || '' }));
  }

  function offered(m) {
    var shown = {};
    (m.buttons || []).forEach(function (b) { shown[b.type] = true; });
    return shown;
  }

  function render(m, now) {
    view.innerHTML = '';
    var shown = offered(m);
    view.appendChild(banner(m, now));
    view.appendChild(refundBlock(m));

    var actions = el('div', { class: cm('reverseDetail', 'actions') });
    var solutions = el('div', { class: cm('solution', 'list'), hidden: true });
    if (shown.ACCEPT || shown.REJECT) {
      actions.appendChild(button('View possible solutions', function () { solutions.hidden = !solutions.hidden; }));
      drawSolutions(solutions, m, shown);
    }
    if (shown.ESCALATE) {
      actions.appendChild(button('Escalate dispute', function () {
        act({ action: 'escalate' }).then(function (problem) { if (problem) toast(problem, true); });
      }));
    }
    if (shown.ANSWER_MEDIATOR) actions.appendChild(button('Provide information', function () { evidenceDialog('answer', 'Provide information'); }));
    if (shown.SHIP_RETURN) actions.appendChild(button('Enter tracking number', trackingDialog));
    if (shown.ADD_EVIDENCE) actions.appendChild(button('Add photos/videos', function () { evidenceDialog('evidence', 'Add photos/videos'); }));
    if (actions.children.length) view.appendChild(actions);
    view.appendChild(solutions);

    if (m.mediatorRequest) {
      var med = section('The mediator asks for information');
      med.appendChild(el('div', { class: cm('reverseDetail', 'mediatorText'), text: m.mediatorRequest.requestText }));
      view.appendChild(med);
    }

    var b = m.buyerSolution || {};
    var reason = m.applyReason || {};
    var item = m.aeItemDTO || {};
    var request = section('Your request');
    Site.append(request, [
      el('div', { class: cm('reverseDetail', 'row'), text: 'Item: ' + (item.itemTitle || '') }),
      el('div', { class: cm('reverseDetail', 'row') }, 'Order ID: ',
        el('a', { href: Site.www('/p/order/detail.html?orderId=' + encodeURIComponent(m.tradeOrderId)), text: m.tradeOrderId })),
      el('div', { class: cm('reverseDetail', 'row'), text: 'Amount paid: ' + money(m.paidAmount) }),
      el('div', { class: cm('reverseDetail', 'row'), text: 'Reason: ' + (reason.reasonName || '') }),
      el('div', { class: cm('reverseDetail', 'row'), text: 'Package received: ' + (reason.received ? 'Yes' : 'No') }),
      el('div', { class: cm('reverseDetail', 'row'), text: 'Solution: ' + (b.solutionTypeText || '') + ', ' + money(b.refundMoney) }),
      el('div', { class: cm('reverseDetail', 'muted'), text: b.description || '' }),
      el('div', { class: cm('reverseDetail', 'muted'), text: 'Opened on ' + (m.gmtCreateFormat || '') })]);
    view.appendChild(request);

    var history = section('Negotiation history');
    (m.proposalHistory || []).slice().reverse().forEach(function (h) {
      history.appendChild(el('div', { class: cm('verticalSteps', 'item') },
        el('div', { class: cm('verticalSteps', 'title'), text: (PROPOSER[h.proposer] || h.proposer) + ': ' + money(h.refundMoney) + ', ' + h.solutionTypeText }),
        el('div', { class: cm('verticalSteps', 'time'), text: h.gmtCreateFormat + ' · ' + String(h.status || '').toLowerCase() }),
        h.message ? el('div', { class: cm('verticalSteps', 'content'), text: h.message }) : null));
    });
    view.appendChild(history);

    if ((m.messages || []).length) {
      var msgs = section('Messages');
      m.messages.forEach(function (msg) {
        msgs.appendChild(el('div', { class: cm('reverseDetail', 'message') },
          el('b', { text: (msg.from === 'BUYER' ? 'You' : 'Seller') + ': ' }), msg.text));
      });
      view.appendChild(msgs);
    }

    var proof = section('Evidence');
    if (!(m.evidence || []).length) proof.appendChild(el('div', { class: cm('reverseDetail', 'muted'), text: 'No files yet.' }));
    (m.evidence || []).forEach(function (f) {
      proof.appendChild(el('div', { class: cm('reverseDetail', 'evidenceItem'),
        text: f.fileName + ' (' + Math.max(1, Math.round(f.size / 1024)) + ' KB)' }));
    });
    view.appendChild(proof);
  }

  function button(text, onclick, primary) {
    return el('button', { type: 'button', class: 'comet-v2-btn' + (primary ? ' comet-v2-btn-primary' : ''), text: text, onclick: onclick });
  }

  /* the proposals on the table; a counter-proposal can be accepted, and "I don't agree" leads to the dialog */
  function drawSolutions(box, m, shown) {
    var cards = [m.buyerSolution ? Object.assign({ proposer: 'BUYER' }, m.buyerSolution) : null, m.reachSolution].filter(Boolean);
    cards.forEach(function (p) {
      var card = el('div', { class: cm('solution', 'card') },
        el('div', { class: cm('solution', 'title'), text: PROPOSER[p.proposer] || 'Proposed solution' }),
        el('div', { class: cm('solution', 'amount'), text: money(p.refundMoney) }),
        el('div', { class: cm('solution', 'type'), text: p.solutionTypeText || '' }),
        p.message ? el('div', { class: cm('solution', 'note'), text: p.message }) : null);
      if (p.proposer !== 'BUYER' && shown.ACCEPT) card.appendChild(button('Accept', function () { acceptDialog(p); }, true));
      box.appendChild(card);
    });
    if (!shown.REJECT) return;
    var upload = button('Upload more photos/videos', function () { evidenceDialog('reject', 'Upload more photos/videos'); });
    upload.hidden = true;
    var mark = el('span', { class: cm('cco', 'checkBox'), role: 'checkbox', 'aria-checked': 'false' });
    var title = el('span', { class: cm('cco', 'checkTitle'), text: "I don't agree with above solution(s)" });
    function toggle() {
      var on = mark.getAttribute('aria-checked') !== 'true';
      mark.setAttribute('aria-checked', on ? 'true' : 'false');
      upload.hidden = !on;
    }
    mark.addEventListener('click', toggle);
    title.addEventListener('click', toggle);
    box.appendChild(el('div', { class: cm('cco', 'check') }, mark, title));
    box.appendChild(upload);
  }

  /* --- dialogs ------------------------------------------------------------------------------ */

  function dialog(title, body, confirmText, onConfirm) {
    var error = el('div', { class: 'comet-v2-modal-error', role: 'alert', hidden: true });
    var wrap;
    function close() { if (wrap.parentNode) wrap.parentNode.removeChild(wrap); }
    var confirm = button(confirmText, function () {
      error.hidden = true;
      confirm.disabled = true;
      onConfirm().then(function (problem) {
        confirm.disabled = false;
        if (problem) { error.textContent = problem; error.hidden = false; } else close();
      });
    }, true);
    wrap = el('div', { class: 'comet-v2-modal-wrap' },
      el('div', { class: 'comet-v2-modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
        el('div', { class: 'comet-v2-modal-title', text: title }),
        el('div', { class: 'comet-v2-modal-body' }, body, error),
        el('div', { class: 'comet-v2-modal-footer' }, button('Cancel', close), confirm)));
    document.body.appendChild(wrap);
    return wrap;
  }

  function acceptDialog(p) {
    dialog('Accept this solution?', el('div', {},
      el('p', {}, 'You will get ', el('b', { text: money(p.refundMoney) }), ' (' + (p.solutionTypeText || '') + ').'),
      el('p', { text: 'Accepting closes the dispute for good: it cannot be reopened.' })), 'Confirm', function () {
      var form = new FormData();
      form.set('proposalId', p.proposalId || '');
      return act({ action: 'accept' }, form);
    });
  }

  /* photos are "uploaded" one by one: the thumbnail appears once a photo has arrived, and only
     those are sent (a click on the button before that loses the photo, as on the live page) */
  function uploader() {
    var uploaded = [];
    var thumbs = el('div', { class: cm('upload', 'imageContainer') });
    var input = el('input', { type: 'file', name: 'files[]', multiple: true, accept: 'image/*,video/*' });
    input.addEventListener('change', function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var thumb = el('div', { class: cm('upload', 'imageThumb'), title: file.name });
        thumbs.appendChild(thumb);
        setTimeout(function () {
          thumb.style.backgroundImage = 'url(' + URL.createObjectURL(file) + ')';
          uploaded.push(file);
        }, UPLOAD_MS);
      });
    });
    return { node: el('div', {}, thumbs, input, el('div', { class: cm('reverseDetail', 'muted'), text: root.getAttribute('data-limits') || '' })),
             files: function () { return uploaded.slice(); } };
  }

  function evidenceDialog(action, title) {
    var m = current || {};
    var currency = ((m.paidAmount || {}).currency) || '';
    var text = el('textarea', { class: cm('evidence', 'textarea'), name: 'message', placeholder: 'Describe the problem' });
    var up = uploader();
    var body = el('div', {});
    var amount = null;
    if (action === 'reject') {
      amount = el('input', { type: 'text', name: 'refundAmount', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00', id: 'new-refund-amount' });
      Site.append(body, [el('label', { for: 'new-refund-amount', text: 'New refund amount (' + currency + '), optional' }), amount]);
    }
    Site.append(body, [el('label', { text: 'Details' }), text, el('label', { text: 'Photos/videos' }), up.node]);
    dialog(title, body, 'Submit', function () {
      var form = new FormData();
      form.set('message', text.value);
      if (amount && amount.value.trim()) form.set('amount', amount.value.trim());
      up.files().forEach(function (file) { form.append('files[]', file, file.name); });
      return act({ action: action }, form);
    });
  }

  function trackingDialog() {
    var input = el('input', { type: 'text', name: 'trackingNumber', autocomplete: 'off', id: 'return-tracking-number' });
    dialog('Return shipment', el('div', {}, el('label', { for: 'return-tracking-number', text: 'Return tracking number' }), input),
      'Submit', function () {
        var form = new FormData();
        form.set('trackingNumber', input.value);
        return act({ action: 'ship_return' }, form);
      });
  }

  function toast(text, isError) {
    Site.$all('.comet-v2-message').forEach(function (n) { n.parentNode.removeChild(n); });
    var node = el('div', { class: 'comet-v2-message' + (isError ? ' comet-v2-message-error' : ''), role: isError ? 'alert' : 'status', text: text });
    document.body.appendChild(node);
    setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, 15000);
  }

  /* sends an action; resolves to the site's refusal (shown by the dialog), or null once done */
  function act(what, form) {
    form = form || new FormData();
    form.set('reverseOrderLineId', (current || {}).reverseOrderLineId || '');
    form.set('action', what.action);
    Site.loading(true);
    return Site.mtop(API_ACTION, {}, { form: form }).then(function (answer) {
      if (!Site.ok(answer)) return Site.retMessage(answer);
      return load().then(function () {
        toast('Submitted successfully. The dispute has been updated.', false);
        return null;
      });
    }).catch(function (error) {
      return error.message || String(error);
    }).then(function (result) { Site.loading(false); return result; });
  }

  function region() {
    var match = /(?:^|&)region=([A-Z]{2})/.exec(decodeURIComponent((document.cookie.match(/(?:^|;\s*)aep_usuc_f=([^;]*)/) || [])[1] || ''));
    return match ? match[1] : 'US';
  }

  function load() {
    if (!lineId) { Site.showError(view, 'No dispute was given: the address needs ?tradeOrderLineId=…'); return Promise.resolve(); }
    Site.loading(true);
    var body = { _lang: 'en_US', terminalType: 'PC', reverseOrderLineId: caseId, reverseOrderId: '', tradeOrderId: '',
                 tradeOrderLineId: lineId, shipTo: region() };
    return Site.mtop(API_DETAIL, body, { method: 'POST' }).then(function (answer) {
      if (!Site.ok(answer)) {
        var notFound = Site.retCode(answer) === 'FAIL_BIZ_NOT_FOUND';
        Site.showError(view, (notFound ? 'Dispute not found: ' : 'The dispute could not be loaded: ') + Site.retMessage(answer),
          notFound ? null : load);
        return;
      }
      current = answer.data.module;
      render(current, answer.data.global.curTime);
    }).catch(function (error) {
      Site.showError(view, error.message || String(error), load);
    }).then(function () { Site.loading(false); });
  }

  load();
})();
