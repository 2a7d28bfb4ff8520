/* Shared page script: the "mtop" API client, DOM helpers, live countdowns, dialogs.
 *
 * Pages load their data the way the real site does (fetch of /h5/<api>/1.0/?…&data=<json>)
 * and build their DOM from it. Every class name, id and selector goes through C()/S(), so the
 * "dom_layout" fault (classes renamed on the server) renames the script's elements too.
 * When the answer comes in the altered shape of the "api_shape" fault (keys suffixed "V2")
 * the script knows its "new format" and undoes it, so the page still renders correctly.
 */
(function () {
  'use strict';

  var APP_KEY = '12574478';
  var SESSION_GONE = /^(FAIL_SYS_SESSION_EXPIRED|NEED_LOGIN|FAIL_SYS_SID_INVALID)/;
  var renames = [];
  try { renames = JSON.parse(document.body.dataset.renames || '[]'); } catch (e) { renames = []; }

  /* class or id name as this layout spells it */
  function C(name) {
    for (var i = 0; i < renames.length; i++) {
      if (name.indexOf(renames[i][0]) === 0) return renames[i][1] + name.slice(renames[i][0].length);
    }
    return name;
  }

  /* a CSS selector with its .class and #id tokens renamed */
  function S(selector) {
    return selector.replace(/([.#])([A-Za-z_][\w-]*)/g, function (m, p, t) { return p + C(t); });
  }

  /* --- CSS-module class names (sandbox/classnames.py computes the same) ------------------ */

  var CM_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  var cmSeed = document.body.getAttribute('data-cm-seed') || 'release';
  var cmBlocks = {};
  try { cmBlocks = JSON.parse(document.body.getAttribute('data-cm-blocks') || '{}'); } catch (e) { cmBlocks = {}; }

  function fnv1a(text, offset) {
    var h = offset >>> 0;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return h >>> 0;
  }

  function digits(value, count) {
    var out = '';
    for (var i = 0; i < count; i++) { out += CM_ALPHABET.charAt(value % 62); value = Math.floor(value / 62); }
    return out;
  }

  /* cm('reminder', 'statusStr') -> 'reminder--statusStr--3FMxRSU' */
  function cm(block, element) {
    block = cmBlocks[block] || block;
    var text = cmSeed + '|' + block + '|' + element;
    return block + '--' + element + '--' + digits(fnv1a(text, 0x811C9DC5), 4) + digits(fnv1a(text, 0x050C5D1F), 3);
  }

  function $(selector, root) { return (root || document).querySelector(S(selector)); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(S(selector))); }
  function byId(id) { return document.getElementById(C(id)); }

  /* el('div', {class: 'a b', id: 'x', text: 'hi', attrs...}, child, …) */
  function el(tag, props) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === 'class') node.className = String(value).split(/\s+/).filter(Boolean).map(C).join(' ');
      else if (key === 'id') node.id = C(value);
      else if (key === 'for') node.htmlFor = C(value);
      else if (key === 'text') node.textContent = value;
      else if (key === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(key, value === true ? '' : value);
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }

  /* an address on the www. or m. host (relative when the page came by address) */
  function www(path) { return (document.body.getAttribute('data-www-url') || '') + path; }
  function mobile(path) { return (document.body.getAttribute('data-m-url') || '') + path; }

  function query(name) { return new URLSearchParams(location.search).get(name) || ''; }

  /* --- the API client ----------------------------------------------------------------- */

  function cookie(name) {
    var match = document.cookie.match(new RegExp('(?:^|;\\s*)' + name + '=([^;]*)'));
    return match ? decodeURIComponent(match[1]) : '';
  }

  /* a stand-in for the site's md5 signature: 32 hex digits derived from the same inputs */
  function sign(text) {
    var out = '';
    for (var round = 0; round < 4; round++) {
      var h = 0x811c9dc5 ^ (round * 0x9e3779b9);
      for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
      out += ('0000000' + (h >>> 0).toString(16)).slice(-8);
    }
    return out;
  }

  function unmangle(value) {
    if (Array.isArray(value)) return value.map(unmangle);
    if (value && typeof value === 'object') {
      var out = {};
      Object.keys(value).forEach(function (key) {
        out[/V2$/.test(key) ? key.slice(0, -2) : key] = unmangle(value[key]);
      });
      return out;
    }
    return value;
  }

  function SiteError(message, status, ret) {
    this.name = 'SiteError';
    this.message = message;
    this.status = status || 0;
    this.ret = ret || '';
  }
  SiteError.prototype = Object.create(Error.prototype);

  function goLogin() {
    var login = document.body.getAttribute('data-login-url') || '/login';
    var back = login.charAt(0) === '/' ? location.pathname + location.search : location.href;
    location.href = login + '?return_url=' + encodeURIComponent(back);
  }

  var jsonpCount = 0;

  /* a GET by JSONP, as the real pages load their data: a <script> whose answer calls
     window.mtopjsonpN({...}); an HTTP error or a body that is no call rejects */
  function jsonp(url, callbackName) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      var done = false;
      function cleanup() {
        done = true;
        try { delete window[callbackName]; } catch (e) { window[callbackName] = undefined; }
        if (script.parentNode) script.parentNode.removeChild(script);
      }
      window[callbackName] = function (body) { cleanup(); resolve(body); };
      script.onerror = function () {
        cleanup();
        reject(new SiteError('The server is busy. Please try again later.', 500));
      };
      script.onload = function () {
        if (!done) { cleanup(); reject(new SiteError('The server sent an unreadable answer. Please try again later.', 200)); }
      };
      script.src = url;
      document.head.appendChild(script);
    });
  }

  /* mtop(api, data, {method: 'POST'} | {form: FormData}) -> the envelope. GETs come back as
     JSONP (type=originaljsonp&callback=mtopjsonpN), POSTs as JSON. */
  function mtop(api, data, options) {
    options = options || {};
    var t = String(Date.now());
    var json = JSON.stringify(data || {});
    var token = cookie('_m_h5_tk').split('_')[0];
    var post = !!(options.form || options.method === 'POST');
    var params = [
      ['jsv', '2.5.1'], ['appKey', APP_KEY], ['t', t], ['sign', sign(token + '&' + t + '&' + APP_KEY + '&' + json)],
      ['api', api], ['v', '1.0']
    ];
    var init = { credentials: 'include', headers: { Accept: 'application/json' } };
    var callbackName = null;
    if (post) {
      params.push(['type', 'originaljson'], ['dataType', 'json'], ['post', '1']);
      init.method = 'POST';
      init.body = options.form || new URLSearchParams({ data: json });
    } else {
      callbackName = 'mtopjsonp' + (++jsonpCount);
      params.push(['type', 'originaljsonp'], ['dataType', 'originaljsonp'], ['callback', callbackName], ['data', json]);
    }
    var url = '/h5/' + api.toLowerCase() + '/1.0/?' + params.map(function (p) {
      return p[0] + '=' + encodeURIComponent(p[1]);
    }).join('&');
    var answer = post
      ? fetch(url, init).then(function (response) {
          if (!response.ok) {
            throw new SiteError('The server is busy (HTTP ' + response.status + '). Please try again later.', response.status);
          }
          return response.json();
        })
      : jsonp(url, callbackName);
    return answer.then(function (body) {
      if (body && Object.prototype.hasOwnProperty.call(body, 'traceIdV2')) body = unmangle(body);
      var ret = (body && body.ret && body.ret[0]) || '';
      if (SESSION_GONE.test(ret)) {
        goLogin();
        throw new SiteError('Your session has expired. Please sign in again.', 200, ret);
      }
      return body;
    });
  }

  function ok(body) { return !!(body && body.ret && /^SUCCESS/.test(body.ret[0] || '')); }

  /* "FAIL_BIZ_NOT_FOUND::unknown order id '1'" -> "unknown order id '1'" */
  function retMessage(body) {
    var ret = (body && body.ret && body.ret[0]) || 'unknown error';
    var parts = ret.split('::');
    return parts.length > 1 && parts[1] ? parts.slice(1).join('::') : parts[0];
  }

  function retCode(body) { return ((body && body.ret && body.ret[0]) || '').split('::')[0]; }

  /* components of an Ultron graph, by tag, in hierarchy order */
  function graph(data) {
    var components = (data && data.data) || {};
    var structure = (data && data.hierarchy && data.hierarchy.structure) || {};
    return {
      components: components,
      byTag: function (tag) {
        return Object.keys(components).filter(function (k) { return components[k].tag === tag; })
          .map(function (k) { return components[k]; });
      },
      keyOf: function (tag) {
        return Object.keys(components).filter(function (k) { return components[k].tag === tag; })[0];
      },
      children: function (key) {
        return (structure[key] || []).map(function (k) { return components[k]; }).filter(Boolean);
      }
    };
  }

  /* --- loading overlay and messages ----------------------------------------------------- */

  var loadingCount = 0;
  function loading(on) {
    loadingCount = Math.max(0, loadingCount + (on ? 1 : -1));
    var existing = $('.comet-loading-wrap');
    if (loadingCount > 0 && !existing) {
      document.body.appendChild(el('div', { class: 'comet-loading-wrap' },
        el('div', { class: 'comet-loading' }, el('span', { class: 'comet-loading-icon' }))));
    } else if (loadingCount === 0 && existing) {
      existing.parentNode.removeChild(existing);
    }
  }

  function showError(container, message, retry) {
    var box = el('div', { class: 'comet-error', role: 'alert' },
      el('span', { class: 'comet-error-text', text: message }));
    if (retry) box.appendChild(el('button', { class: 'comet-btn comet-error-retry', type: 'button', text: 'Try again', onclick: retry }));
    container.innerHTML = '';
    container.appendChild(box);
    return box;
  }

  /* --- countdowns ------------------------------------------------------------------------ */

  /* "12 days 03:04:05", or in Portuguese "12 dias 03:04:05": the day word is kept as served */
  var COUNTDOWN = /(?:(\d+) (days?|dias?) )?(\d{2}):(\d{2}):(\d{2})/;
  var DAY_WORDS = { day: ['day', 'days'], dia: ['dia', 'dias'] };
  var timers = [];

  function formatCountdown(seconds, dayWord) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var clock = pad(Math.floor(rest / 3600)) + ':' + pad(Math.floor(rest % 3600 / 60)) + ':' + pad(rest % 60);
    var words = DAY_WORDS[(dayWord || 'day').replace(/s$/, '')] || DAY_WORDS.day;
    return days === 0 ? clock : days + ' ' + words[days !== 1 ? 1 : 0] + ' ' + clock;
  }

  function parseCountdown(text) {
    var m = COUNTDOWN.exec(text || '');
    if (!m) return null;
    return {
      seconds: (parseInt(m[1] || '0', 10) * 86400) + parseInt(m[3], 10) * 3600 + parseInt(m[4], 10) * 60 + parseInt(m[5], 10),
      dayWord: m[2] || 'day', index: m.index, length: m[0].length
    };
  }

  /* a <span> that counts down from `seconds`, live each second */
  function countdown(seconds, className, dayWord) {
    var span = el('span', { class: className || 'comet-countdown', text: formatCountdown(seconds, dayWord) });
    timers.push({ node: span, end: Date.now() + seconds * 1000, dayWord: dayWord });
    return span;
  }

  /* text with its "N days HH:MM:SS" part turned into a live countdown */
  function liveText(text, className) {
    var found = parseCountdown(text);
    if (!found) return [document.createTextNode(text)];
    return [
      document.createTextNode(text.slice(0, found.index)),
      countdown(found.seconds, className, found.dayWord),
      document.createTextNode(text.slice(found.index + found.length))
    ];
  }

  setInterval(function () {
    var now = Date.now();
    timers = timers.filter(function (t) { return document.body.contains(t.node); });
    timers.forEach(function (t) { t.node.textContent = formatCountdown((t.end - now) / 1000, t.dayWord); });
  }, 1000);

  /* --- dialogs ---------------------------------------------------------------------------- */

  /* modal({id, title, body, buttons: [{id, text, primary, onclick}]}) */
  function modal(options) {
    var wrap;
    function close() { if (wrap && wrap.parentNode) wrap.parentNode.removeChild(wrap); }
    var footer = el('div', { class: 'comet-modal-footer' });
    (options.buttons || []).forEach(function (b) {
      footer.appendChild(el('button', {
        type: 'button', id: b.id, class: 'comet-btn' + (b.primary ? ' comet-btn-primary' : ''), text: b.text,
        onclick: function () { if (b.onclick) b.onclick(close); else close(); }
      }));
    });
    wrap = el('div', { class: 'comet-modal-wrap', id: options.id },
      el('div', { class: 'comet-modal', role: 'dialog', 'aria-modal': 'true' },
        el('button', { type: 'button', class: 'comet-modal-close', 'aria-label': 'Close', text: '×', onclick: close }),
        el('div', { class: 'comet-modal-title', text: options.title }),
        options.body ? el('div', { class: 'comet-modal-body' }, options.body) : null,
        footer));
    document.body.appendChild(wrap);
    return { close: close, node: wrap };
  }

  window.Site = {
    C: C, S: S, cm: cm, www: www, mobile: mobile, $: $, $all: $all, byId: byId, el: el, append: append, query: query,
    mtop: mtop, ok: ok, retMessage: retMessage, retCode: retCode, graph: graph, SiteError: SiteError,
    loading: loading, showError: showError, formatCountdown: formatCountdown, parseCountdown: parseCountdown,
    countdown: countdown, liveText: liveText, modal: modal, goLogin: goLogin
  };
})();
