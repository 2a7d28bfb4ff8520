/* The dispute form ("Return/refund"), drawn from its data call the way today's React page is:
 * CSS-module classes (Site.cm), the reason as a custom dropdown (not a <select>), each photo
 * uploaded the moment it is chosen, its thumbnail shown only when the upload answered (a
 * photo without its thumbnail is left out of the request), then "Next step" -> a summary with
 * "Submit" -> "Confirm" in a dialog, which files the case. The address never changes: the new
 * case's ids are in the apply call's answer only. The server judges the input; its refusal
 * is shown on the page and nothing is created. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var cm = Site.cm;
  var FORM_API = 'mtop.aliexpress.reverse.buyer.render';
  var UPLOAD_API = 'mtop.aliexpress.reverse.buyer.upload';
  var APPLY_API = 'mtop.aliexpress.reverse.buyer.apply';
  var root = Site.byId('reverse-start-body');
  if (!root) return;
  var lineId = Site.query('tradeOrderLineId');
  var received = Site.query('received');

  /* the case's page on the m. host: the one place that knows its address */
  function caseUrl(ids) {
    return Site.mobile('/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId=' +
      encodeURIComponent(ids.tradeOrderLineId));
  }

  function startUrl(answer) {
    return '/p/reverse-pages/start.html?tradeOrderLineId=' + encodeURIComponent(lineId) + '&received=' + answer;
  }

  var data = null;
  var state = { reason: null, uploads: [], sent: [] };
  var parts = {};

  /* --- messages ------------------------------------------------------------------------- */

  var FIELD_OF = { reason: 'reason', solution: 'solution', amount: 'amount', description: 'description', files: 'files' };

  function clearErrors() {
    parts.error.hidden = true;
    parts.error.textContent = '';
    Object.keys(parts.fieldErrors).forEach(function (key) { parts.fieldErrors[key].textContent = ''; });
  }

  function fieldError(field, message) {
    var slot = parts.fieldErrors[FIELD_OF[field]];
    if (slot) slot.textContent = message;
  }

  function showError(message, field) {
    parts.error.textContent = message;
    parts.error.hidden = false;
    if (field) fieldError(field, message);
    parts.error.scrollIntoView({ block: 'center' });
  }

  /* --- the pieces of step 1 ----------------------------------------------------------------- */

  function field(name, label) {
    var error = el('div', { class: cm('reverseForm', 'fieldError'), role: 'alert' });
    parts.fieldErrors[name] = error;
    var children = Array.prototype.slice.call(arguments, 2);
    return el('div', { class: cm('reverseForm', 'field') },
      el('div', { class: cm('reverseForm', 'label'), text: label }), children, error);
  }

  function itemCard() {
    var item = data.item;
    return el('div', { class: cm('reverseForm', 'item') },
      el('div', { class: cm('reverseForm', 'itemImg'), style: 'background-image: url(' + item.itemPicUrl + ')' }),
      el('div', { class: cm('reverseForm', 'itemInfo') },
        el('div', { class: cm('reverseForm', 'itemTitle'), text: item.itemTitle }),
        item.skuText ? el('div', { class: cm('reverseForm', 'itemSku'), text: item.skuText }) : null,
        el('div', { class: cm('reverseForm', 'itemStore'), text: 'Sold by ' + item.storeName }),
        el('div', { class: cm('reverseForm', 'itemPrice'), text: item.itemPriceText + ' x' + item.quantity })),
      el('div', { class: cm('reverseForm', 'paid') }, 'Amount paid: ',
        el('span', { class: cm('reverseForm', 'paidValue'), text: data.paidAmount.text })));
  }

  function reasonSelect() {
    var shown = el('span', { class: 'comet-v2-select-selection-placeholder', text: 'Please select a reason' });
    var box = el('div', {
      class: 'comet-v2-select comet-v2-select-single comet-v2-select-show-arrow', role: 'combobox',
      'aria-haspopup': 'listbox', 'aria-expanded': 'false', tabindex: '0'
    }, el('div', { class: 'comet-v2-select-selector' }, shown),
       el('span', { class: 'comet-v2-select-arrow', 'aria-hidden': 'true', text: '\u25BE' }));
    var dropdown = null;
    function close() {
      if (!dropdown) return;
      dropdown.parentNode.removeChild(dropdown);
      dropdown = null;
      box.setAttribute('aria-expanded', 'false');
    }
    function choose(reason) {
      state.reason = reason.reasonKey;
      shown.className = Site.C('comet-v2-select-selection-item');
      shown.textContent = reason.reasonName;
      fieldError('reason', '');
      close();
    }
    function open() {
      dropdown = el('div', { class: 'comet-v2-select-dropdown' },
        el('ul', { class: 'comet-v2-menu', role: 'listbox' }, data.reasons.map(function (reason) {
          var selected = state.reason === reason.reasonKey;
          return el('li', {
            class: 'comet-v2-menu-item' + (selected ? ' comet-v2-menu-item-selected' : ''), role: 'option',
            'aria-selected': String(selected), text: reason.reasonName,
            onclick: function (event) { event.stopPropagation(); choose(reason); }
          });
        })));
      box.parentNode.insertBefore(dropdown, box.nextSibling);
      box.setAttribute('aria-expanded', 'true');
    }
    box.addEventListener('click', function () { if (dropdown) close(); else open(); });
    document.addEventListener('click', function (event) {
      if (dropdown && !box.contains(event.target) && !dropdown.contains(event.target)) close();
    });
    return box;
  }

  function solutionRadios() {
    return el('div', { class: 'comet-v2-radio-group', role: 'radiogroup' }, data.solutions.map(function (s, index) {
      var input = el('input', { type: 'radio', name: 'solution', value: s.solutionType, class: 'comet-v2-radio-input',
        checked: index === 0, disabled: !s.enabled });
      return el('label', { class: 'comet-v2-radio-wrapper' + (s.enabled ? '' : ' comet-v2-radio-wrapper-disabled') },
        input, el('span', { text: s.text }));
    }));
  }

  function chosenSolution() {
    var checked = parts.step1.querySelector('input[name=solution]:checked');
    return checked ? checked.value : '';
  }

  function amountInput() {
    parts.amount = el('input', {
      type: 'text', inputmode: 'decimal', autocomplete: 'off', 'aria-label': 'Refund amount',
      class: 'comet-v2-input', value: data.paidAmount.amount, readonly: !data.refundAmountEditable
    });
    return el('div', { class: cm('reverseForm', 'amount') }, parts.amount,
      el('span', { class: cm('reverseForm', 'currency'), text: data.paidAmount.currency }),
      el('span', { class: cm('reverseForm', 'amountMax'), text: 'Max. ' + data.paidAmount.text }),
      data.refundAmountEditable ? null
        : el('div', { class: cm('reverseForm', 'hint'), text: 'For items not received you get a full refund.' }));
  }

  function description() {
    var limits = data.description;
    parts.description = el('textarea', {
      class: cm('commet', 'textarea'), rows: '5', maxlength: String(limits.maxLength),
      placeholder: 'Please describe the problem in English (at least ' + limits.minLength + ' characters)'
    });
    var count = el('div', { class: cm('commet', 'count'), text: '0/' + limits.maxLength });
    parts.description.addEventListener('input', function () {
      count.textContent = parts.description.value.length + '/' + limits.maxLength;
    });
    return el('div', { class: cm('commet', 'wrap') }, parts.description, count);
  }

  /* --- photos: each uploaded at once; the thumbnail shows when its upload answered ---------- */

  function dropUpload(entry) {
    state.uploads = state.uploads.filter(function (u) { return u !== entry; });
    if (entry.node.parentNode) entry.node.parentNode.removeChild(entry.node);
  }

  function upload(file) {
    var thumb = el('div', { class: cm('upload', 'imageThumb') });
    var progress = el('span', { class: cm('upload', 'progress'), text: 'Uploading\u2026' });
    var entry = { name: file.name, fileId: null, node: null };
    var remove = el('button', { type: 'button', class: cm('upload', 'remove'), 'aria-label': 'Delete ' + file.name,
      text: '\u00D7', onclick: function () { dropUpload(entry); } });
    entry.node = el('div', { class: cm('upload', 'imageContainer'), title: file.name }, thumb, progress, remove);
    state.uploads.push(entry);
    parts.thumbs.appendChild(entry.node);
    var form = new FormData();
    form.append('file', file, file.name);
    Site.mtop(UPLOAD_API, {}, { form: form }).then(function (body) {
      if (state.uploads.indexOf(entry) < 0) return;
      if (!Site.ok(body)) {
        dropUpload(entry);
        fieldError('files', Site.retMessage(body));
        return;
      }
      entry.fileId = body.data.module.fileId;
      thumb.style.backgroundImage = 'url("' + body.data.module.url + '")';
      progress.parentNode.removeChild(progress);
    }).catch(function (error) {
      dropUpload(entry);
      fieldError('files', error.message || String(error));
    });
  }

  function photos() {
    var limits = data.upload;
    var types = limits.imageTypes.concat(limits.videoTypes).map(function (t) { return '.' + t; }).join(',');
    var input = el('input', { type: 'file', multiple: true, accept: types, class: cm('upload', 'input') });
    input.addEventListener('change', function () {
      Array.prototype.slice.call(input.files).forEach(upload);
      input.value = '';
    });
    parts.thumbs = el('div', { class: cm('upload', 'imageList') });
    return el('div', { class: cm('upload', 'wrap') }, parts.thumbs,
      el('label', { class: cm('upload', 'picker') }, input, el('span', { text: '+ Upload' })),
      el('div', { class: cm('upload', 'tips'), text: limits.tips }));
  }

  /* --- the steps ------------------------------------------------------------------------------- */

  function stepOne() {
    parts.error = el('div', { class: cm('reverseForm', 'error'), role: 'alert', hidden: true });
    parts.fieldErrors = {};
    var next = el('button', { type: 'button', class: 'comet-v2-btn comet-v2-btn-primary comet-v2-btn-large',
      text: 'Next step', onclick: nextStep });
    parts.step1 = el('div', { class: cm('reverseForm', 'step') },
      field('received', 'Package received',
        el('span', { text: received === 'yes' ? 'Yes, I received the package' : 'No, I have not received the package' })),
      field('reason', 'Reason', reasonSelect(),
        el('div', { class: cm('reverseForm', 'hint'), text: "The reason can't be changed after you submit." })),
      field('solution', 'Solution', solutionRadios()),
      field('amount', 'Refund amount', amountInput()),
      field('description', 'Description', description()),
      field('files', 'Upload images or video', photos()),
      el('div', { class: cm('reverseForm', 'actions') }, next));
    return parts.step1;
  }

  function nextStep() {
    clearErrors();
    var missing = [];
    if (!state.reason) missing.push(['reason', 'Please select a reason.']);
    if (!parts.description.value.trim()) missing.push(['description', 'Please describe the problem.']);
    if (missing.length) {
      missing.forEach(function (m) { fieldError(m[0], m[1]); });
      showError(missing[0][1]);
      return;
    }
    // what is sent is what shows now: a photo still uploading is left out
    state.sent = state.uploads.filter(function (u) { return u.fileId; });
    showSummary();
  }

  function reasonName() {
    var found = data.reasons.filter(function (r) { return r.reasonKey === state.reason; })[0];
    return found ? found.reasonName : '';
  }

  function solutionText() {
    var found = data.solutions.filter(function (s) { return s.solutionType === chosenSolution(); })[0];
    return found ? found.text : '';
  }

  function showSummary() {
    var rows = [
      ['Package received', received === 'yes' ? 'Yes' : 'No'],
      ['Reason', reasonName()],
      ['Solution', solutionText()],
      ['Refund amount', parts.amount.value.trim() + ' ' + data.paidAmount.currency],
      ['Description', parts.description.value.trim()],
      ['Photos and videos', String(state.sent.length)]
    ];
    var submit = el('button', { type: 'button', class: 'comet-v2-btn comet-v2-btn-primary comet-v2-btn-large',
      'data-pl': 'buyersubmit_btn_submit', text: 'Submit', onclick: confirmDialog });
    var back = el('button', { type: 'button', class: 'comet-v2-btn comet-v2-btn-large', text: 'Back',
      onclick: function () { showStep(1); } });
    parts.step2 = el('div', { class: cm('reverseForm', 'step') },
      el('div', { class: cm('reverseForm', 'summaryTitle'), text: 'Check your request' }),
      el('div', { class: cm('reverseForm', 'summary') }, rows.map(function (row) {
        return el('div', { class: cm('reverseForm', 'summaryRow') },
          el('span', { class: cm('reverseForm', 'summaryLabel'), text: row[0] }),
          el('span', { class: cm('reverseForm', 'summaryValue'), text: row[1] }));
      })),
      el('div', { class: cm('reverseForm', 'actions') }, back, submit));
    parts.form.appendChild(parts.step2);
    showStep(2);
  }

  function showStep(number) {
    parts.step1.hidden = number !== 1;
    if (parts.step2) {
      if (number === 2) parts.step2.hidden = false;
      else { parts.step2.parentNode.removeChild(parts.step2); parts.step2 = null; }
    }
  }

  function confirmDialog() {
    var wrap;
    function close() { if (wrap && wrap.parentNode) wrap.parentNode.removeChild(wrap); }
    var confirm = el('button', { type: 'button', class: 'comet-v2-btn comet-v2-btn-primary', text: 'Confirm' });
    confirm.addEventListener('click', function () { apply(close, confirm); });
    wrap = el('div', { class: 'comet-v2-modal-wrap' },
      el('div', { class: 'comet-v2-modal', role: 'dialog', 'aria-modal': 'true' },
        el('div', { class: 'comet-v2-modal-title', text: 'Submit your request?' }),
        el('div', { class: 'comet-v2-modal-body', text: "The reason can't be changed after you submit." }),
        el('div', { class: 'comet-v2-modal-footer' },
          el('button', { type: 'button', class: 'comet-v2-btn', text: 'Cancel', onclick: close }), confirm)));
    document.body.appendChild(wrap);
  }

  function apply(close, confirm) {
    confirm.disabled = true;
    Site.loading(true);
    var form = new FormData();
    form.append('tradeOrderLineId', lineId);
    form.append('received', received);
    form.append('reason', state.reason || '');
    form.append('solution', chosenSolution());
    form.append('amount', parts.amount.value.trim());
    form.append('description', parts.description.value);
    form.append('fileIds', state.sent.map(function (u) { return u.fileId; }).join(','));
    Site.mtop(APPLY_API, {}, { form: form }).then(function (body) {
      close();
      if (Site.ok(body)) { showSubmitted(); return; }
      showStep(1);
      showError(Site.retMessage(body), body.data && body.data.field);
    }).catch(function (error) {
      close();
      showStep(1);
      showError(error.message || String(error));
    }).then(function () { Site.loading(false); });
  }

  function showSubmitted() {
    root.innerHTML = '';
    root.appendChild(el('div', { class: cm('reverseForm', 'result'), role: 'status' },
      el('div', { class: cm('reverseForm', 'resultTitle'), text: 'Your request has been submitted' }),
      el('div', { class: cm('reverseForm', 'resultText'),
        text: 'The seller has been told and will respond soon. You can follow the case in Returns/refunds.' }),
      el('a', { class: 'comet-v2-btn', href: Site.mobile('/p/refund-dispute/list.html'), text: 'View returns/refunds' })));
  }

  /* --- what the data call says ----------------------------------------------------------------- */

  function notApplicable() {
    var box = el('div', { class: cm('reverseForm', 'blocked'), role: 'alert' },
      el('div', { class: cm('reverseForm', 'blockedText'), text: data.notApplicableReason }));
    if (data.reverseOrder) {
      box.appendChild(el('a', { class: 'comet-v2-btn', href: caseUrl(data.reverseOrder), text: 'View dispute' }));
    }
    return box;
  }

  function question() {
    return el('div', { class: cm('reverseForm', 'question') },
      el('div', { class: cm('reverseForm', 'questionTitle'), text: 'Have you received your package?' }),
      el('a', { class: 'comet-v2-btn', href: startUrl('no'), text: 'No' }),
      el('a', { class: 'comet-v2-btn comet-v2-btn-primary', href: startUrl('yes'), text: 'Yes' }));
  }

  function draw() {
    root.innerHTML = '';
    root.appendChild(itemCard());
    if (!data.canApply) { root.appendChild(notApplicable()); return; }
    if (received !== 'yes' && received !== 'no') { root.appendChild(question()); return; }
    var step = stepOne();
    parts.form = el('div', { class: cm('reverseForm', 'form') }, parts.error, step);
    root.appendChild(parts.form);
  }

  function load() {
    if (!lineId) { Site.showError(root, 'No item was given: the address needs ?tradeOrderLineId=\u2026'); return; }
    Site.loading(true);
    Site.mtop(FORM_API, { tradeOrderLineId: lineId, received: received }).then(function (body) {
      if (!Site.ok(body)) {
        var notFound = Site.retCode(body) === 'FAIL_BIZ_NOT_FOUND';
        Site.showError(root, notFound ? 'This item was not found in your orders.'
          : 'The form could not be loaded: ' + Site.retMessage(body), notFound ? null : load);
        return;
      }
      data = body.data.module;
      draw();
    }).catch(function (error) {
      Site.showError(root, error.message || String(error), load);
    }).then(function () { Site.loading(false); });
  }

  load();
})();
