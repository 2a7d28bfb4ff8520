/* The sign-in page: one document, its steps shown and hidden by this script.
 *
 * Today's form: the e-mail/phone field, whose "Continue" stays disabled until the field
 * has a value and has lost focus, while an e-mail suggestion prompt opens over the
 * button as the buyer types; then the password and "Sign in", a plain button whose
 * request runs in the background (class cosmos-btn-loading and a spinner meanwhile).
 * Around it: the account chooser, the older one-page form, the e-mail code, and the
 * slider captcha in a baxia dialog (an iframe on the same host) that, once solved,
 * lets the login go on. A finished login leaves through the cookie-sync hop.
 */
(function () {
  'use strict';
  var Site = window.Site;
  var root = Site.byId('root');
  if (!root) return;

  var DOMAINS = ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.com', 'icloud.com'];
  var paths = {
    check: root.getAttribute('data-check-path'),
    login: root.getAttribute('data-login-path'),
    code: root.getAttribute('data-code-path')
  };
  var returnUrl = root.getAttribute('data-return-url') || '';
  var views = {
    chooser: Site.$('.nfm-login-chooser', root),
    account: Site.$('.nfm-login-step-account', root),
    password: Site.$('.nfm-login-step-password', root),
    one_page: Site.$('.nfm-login-step-one-page', root),
    email_code: Site.$('.nfm-login-step-code', root)
  };
  var state = { login: '', password: '', busy: false };
  var dialog = null;
  var onSolved = null;

  function show(name) {
    Object.keys(views).forEach(function (key) { if (views[key]) views[key].hidden = key !== name; });
    root.setAttribute('data-view', name);
  }

  function setError(view, text) {
    var box = views[view] && Site.$('.nfm-login-input-error-text', views[view]);
    if (box) box.textContent = text || '';
  }

  function post(path, fields) {
    return fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(fields)
    }).then(function (response) {
      if (!response.ok) throw new Error('The server is busy (HTTP ' + response.status + '). Please try again later.');
      return response.json();
    });
  }

  /* --- step one: the account ----------------------------------------------------------- */

  var input = views.account && Site.$('.nfm-login-account-input', views.account);
  var next = views.account && Site.$('.nfm-login-continue', views.account);
  var prompt = views.account && Site.$('.nfm-multiple-email-suggest', views.account);
  var leftOnce = false;

  function suggestions(value) {
    var at = value.indexOf('@');
    if (at < 0) return DOMAINS.map(function (domain) { return [value, '@' + domain]; });
    var name = value.slice(0, at);
    var typed = value.slice(at + 1);
    var found = [[name, '@' + typed]];
    DOMAINS.forEach(function (domain) {
      if (domain !== typed && domain.indexOf(typed) === 0) found.push([name, '@' + domain]);
    });
    return found;
  }

  function closePrompt() {
    if (!prompt) return;
    prompt.hidden = true;
    prompt.textContent = '';
  }

  function openPrompt() {
    var value = input.value.trim();
    if (!value || /^\+?[\d\s-]+$/.test(value)) { closePrompt(); return; }
    prompt.textContent = '';
    suggestions(value).forEach(function (pair) {
      var item = Site.el('div', { class: 'nfm-multiple-email-item', role: 'option' },
        Site.el('span', { class: 'nfm-multiple-email-prefix', text: pair[0] }),
        Site.el('span', { class: 'nfm-multiple-email-suffix', text: pair[1] }));
      item.addEventListener('mousedown', function (event) { event.preventDefault(); });
      item.addEventListener('click', function () {
        input.value = pair[0] + pair[1];
        closePrompt();
        input.blur();
      });
      prompt.appendChild(item);
    });
    prompt.hidden = false;
  }

  function toPassword(login) {
    state.login = login;
    Site.$('.nfm-login-account-name', views.password).textContent = login;
    setError('password', '');
    show('password');
    var field = Site.$('input[type=password]', views.password);
    field.value = '';
    field.focus();
  }

  if (input) {
    input.addEventListener('input', function () {
      setError('account', '');
      if (!input.value.trim()) next.disabled = true;
      else if (leftOnce) next.disabled = false;
      openPrompt();
    });
    input.addEventListener('blur', function () {
      leftOnce = true;
      next.disabled = !input.value.trim();
      closePrompt();
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') closePrompt();
      if (event.key === 'Enter') input.blur();
    });
    next.addEventListener('click', function () {
      var value = input.value.trim();
      if (!value || next.disabled) return;
      closePrompt();
      next.disabled = true;
      post(paths.check, { loginId: value }).then(function (answer) {
        next.disabled = false;
        if (!answer.ok) { setError('account', answer.message); return; }
        toPassword(value);
      }).catch(function (error) {
        next.disabled = false;
        setError('account', error.message);
      });
    });
  }

  /* --- step two: the password, and the request "Sign in" sends ---------------------------- */

  function loading(button, on) {
    var cls = Site.C('cosmos-btn-loading');
    var spinner = Site.$('.comet-icon-loading', button);
    if (on) {
      button.classList.add(cls);
      if (!spinner) button.insertBefore(Site.el('span', { class: 'comet-icon comet-icon-loading', 'aria-hidden': 'true' }), button.firstChild);
    } else {
      button.classList.remove(cls);
      if (spinner) spinner.parentNode.removeChild(spinner);
    }
  }

  function signIn(view, button) {
    if (state.busy) return;
    state.busy = true;
    setError(view, '');
    loading(button, true);
    post(paths.login, { loginId: state.login, password: state.password, returnUrl: returnUrl }).then(function (answer) {
      if (answer.captcha) {
        loading(button, false);
        state.busy = false;
        openDialog(answer.captcha, function () { signIn(view, button); });
        return;
      }
      if (!answer.ok) {
        loading(button, false);
        state.busy = false;
        setError(view, answer.message);
        return;
      }
      state.password = '';
      if (answer.next === 'email_code') {
        loading(button, false);
        state.busy = false;
        show('email_code');
        var first = Site.$('input[data-id="0"]', views.email_code);
        if (first) first.focus();
        return;
      }
      location.href = answer.url;
    }).catch(function (error) {
      loading(button, false);
      state.busy = false;
      setError(view, error.message);
    });
  }

  if (views.password) {
    var signInButton = Site.$('.nfm-login-submit', views.password);
    var password = Site.$('input[type=password]', views.password);
    signInButton.addEventListener('click', function () {
      if (signInButton.classList.contains(Site.C('cosmos-btn-loading'))) return;
      state.password = password.value;
      signIn('password', signInButton);
    });
    password.addEventListener('keydown', function (event) { if (event.key === 'Enter') signInButton.click(); });
  }

  if (views.one_page) {
    views.one_page.addEventListener('submit', function (event) {
      event.preventDefault();
      state.login = Site.byId('fm-login-id').value.trim();
      state.password = Site.byId('fm-login-password').value;
      signIn('one_page', Site.$('button[type=submit]', views.one_page));
    });
  }

  /* --- the account chooser ---------------------------------------------------------------- */

  if (views.chooser) {
    Site.$('.nfm-chooser-continue', views.chooser).addEventListener('click', function () {
      toPassword(root.getAttribute('data-remembered'));
    });
    Site.$('.nfm-login-switch span', views.chooser).addEventListener('click', function () {
      show(views.account ? 'account' : 'one_page');
    });
  }

  /* --- the e-mail code ------------------------------------------------------------------- */

  if (views.email_code) {
    var boxes = Site.$all('input[data-id]', views.email_code);
    boxes.forEach(function (box, index) {
      box.addEventListener('input', function () {
        var digits = box.value.replace(/\D/g, '');
        if (digits.length > 1) {  // a pasted code fills the boxes from here on
          digits.split('').forEach(function (digit, offset) { if (boxes[index + offset]) boxes[index + offset].value = digit; });
        } else {
          box.value = digits;
        }
        var after = boxes[Math.min(index + Math.max(digits.length, 1), boxes.length - 1)];
        if (digits && after) after.focus();
        setError('email_code', '');
      });
    });
    Site.byId('j-test').addEventListener('click', function () {
      var code = boxes.map(function (box) { return box.value; }).join('');
      post(paths.code, { code: code }).then(function (answer) {
        if (answer.ok) { location.href = answer.url; return; }
        setError('email_code', answer.message);
        if (answer.restart) {
          setError(views.account ? 'account' : 'one_page', answer.message);
          show(views.account ? 'account' : 'one_page');
        }
      }).catch(function (error) { setError('email_code', error.message); });
    });
  }

  /* --- the slider captcha in a baxia dialog ------------------------------------------------ */

  function closeDialog() {
    if (dialog && dialog.parentNode) dialog.parentNode.removeChild(dialog);
    dialog = null;
  }

  function openDialog(src, solved) {
    closeDialog();
    onSolved = solved;
    var frame = Site.el('iframe', { id: 'baxia-dialog-content', src: src, title: 'Verification' });
    var close = Site.el('span', { class: 'baxia-dialog-close', role: 'button', 'aria-label': 'Close', text: '\u00d7' });
    close.addEventListener('click', function () { onSolved = null; closeDialog(); });
    dialog = Site.el('div', { class: 'baxia-dialog', role: 'dialog', 'aria-modal': 'true' },
      Site.el('div', { class: 'baxia-dialog-mask' }),
      Site.el('div', { class: 'baxia-dialog-wrap' }, close, frame));
    document.body.appendChild(dialog);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== location.origin || !event.data || event.data.type !== 'baxia-solved') return;
    var solved = onSolved;
    onSolved = null;
    closeDialog();
    if (solved) solved();
  });

  var challenge = root.getAttribute('data-challenge');
  if (challenge) openDialog(challenge, null);  // the one-page form, posted without the script
})();
