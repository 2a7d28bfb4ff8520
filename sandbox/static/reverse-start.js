/* The dispute form: posted as multipart to the (sandbox-assumed) apply API. The server is
 * the judge: its refusal is shown in .reverse-form-error and next to the field it names. */
(function () {
  'use strict';
  var Site = window.Site;
  var API = 'mtop.aliexpress.reverse.buyer.apply';
  var form = Site.byId('reverse-form');
  if (!form) return;
  var formError = Site.byId('reverse-form-error');
  var amount = Site.byId('reverse-amount');
  var submit = Site.byId('reverse-submit');
  var FIELD_ERRORS = { received: 1, reason: 1, solution: 1, amount: 1, refundType: 'amount', description: 1, files: 1 };

  function syncAmount() {
    var partial = Site.byId('reverse-refund-partial').checked;
    amount.disabled = !partial;
    if (partial) amount.focus();
  }
  Site.byId('reverse-refund-full').addEventListener('change', syncAmount);
  Site.byId('reverse-refund-partial').addEventListener('change', syncAmount);

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = '';
    Site.$all('.reverse-field-error').forEach(function (n) { n.textContent = ''; });
    Site.$all('.reverse-field-invalid').forEach(function (n) { n.classList.remove(Site.C('reverse-field-invalid')); });
  }

  function showError(message, field) {
    formError.textContent = message;
    formError.hidden = false;
    var target = FIELD_ERRORS[field] === 1 ? field : FIELD_ERRORS[field];
    if (target) {
      var slot = Site.byId('reverse-error-' + target);
      if (slot) {
        slot.textContent = message;
        slot.parentNode.classList.add(Site.C('reverse-field-invalid'));
      }
    }
    formError.scrollIntoView({ block: 'center' });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    submit.disabled = true;
    Site.loading(true);
    Site.mtop(API, {}, { form: new FormData(form) }).then(function (body) {
      if (Site.ok(body)) {
        location.href = body.data.module.detailUrl;
        return;
      }
      showError(Site.retMessage(body), body.data && body.data.field);
    }).catch(function (error) {
      showError(error.message || String(error));
    }).then(function () {
      submit.disabled = false;
      Site.loading(false);
    });
  });
})();
