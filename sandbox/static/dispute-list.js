/* The refund/dispute list (m. host), drawn the way today's React page is: CSS-module
 * classes (Site.cm) for the rows, a "next-pagination" control for the pages.
 *
 * Data: queryreverseorderpagelistforbuyer as a POST with the body [EM] records
 * ({_lang, pageNo, shopName, reverseStatus, tradeOrderId, size, sortOrder, shipTo};
 * reverseStatus 1 = all, 2 = in progress, 4 = finished). The answer's "pages" is 0
 * although items exist (as in the real capture), so the pages are counted from "total".
 * Each row's "Details" button opens the refund_details link of its buttonDTOList. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var cm = Site.cm;
  var API = 'mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer';
  var SIZE = 10;
  var root = Site.byId('root');
  var TABS = [[1, 'All'], [2, 'In progress'], [4, 'Finished']];
  /* sandbox assumption: the row's status words (no capture of the row exists) */
  var STATUS_TEXT = { 2: 'In progress', 3: 'AliExpress is reviewing', 4: 'Finished' };
  var state = { status: 1, page: 1 };
  var list;
  var pager;

  function region() {
    var match = /(?:^|&)region=([A-Z]{2})/.exec(decodeURIComponent((document.cookie.match(/(?:^|;\s*)aep_usuc_f=([^;]*)/) || [])[1] || ''));
    return match ? match[1] : 'US';
  }

  function detailsUrl(line) {
    var buttons = line.buttonDTOList || [];
    var pick = function (type) { return buttons.filter(function (b) { return b.type === type && b.detailUrl; })[0]; };
    var chosen = pick('refund_details') || pick('view_details');
    return chosen ? chosen.detailUrl : null;
  }

  function row(shopName, line) {
    var item = line.aeItemDTO || {};
    var day = String(line.gmtModifiedFormat || line.gmtCreateFormat || '').slice(0, 10);
    var href = detailsUrl(line);
    return el('div', { class: cm('orderItem', 'orderItem') },
      el('div', { class: cm('orderItem', 'orderStore'), text: shopName }),
      el('div', { class: cm('orderItem', 'orderSKUId'), text: 'Order ID: ' + line.tradeOrderId }),
      el('div', { class: cm('orderItem', 'orderSKUTitle'), text: item.itemTitle || '' }),
      el('div', { class: cm('orderItem', 'orderPrice'), text: (item.itemUnitPrice || {}).formatMoney || '' }),
      el('div', { class: cm('orderItem', 'orderStatusDesc'),
                  text: (STATUS_TEXT[line.reverseStatus] || String(line.reverseStatus)) + ' ' + day }),
      el('div', { class: cm('orderItem', 'orderStatusAction') },
        el('div', {}, el('button', { type: 'button', class: 'comet-btn comet-btn-primary', text: 'Details',
                                     onclick: function () { if (href) location.href = href; } })),
        el('div', {}, el('button', { type: 'button', class: 'comet-btn', text: 'Contact seller' }))));
  }

  function pageButton(label, cls, disabled, go) {
    var button = el('button', { type: 'button', class: 'next-btn ' + cls, text: label,
                                onclick: function () { if (!button.disabled) go(); } });
    if (disabled) { button.disabled = true; button.setAttribute('aria-disabled', 'true'); }
    return button;
  }

  function drawPager(total) {
    var pages = Math.max(1, Math.ceil(total / SIZE));
    pager.innerHTML = '';
    pager.hidden = total === 0;
    pager.appendChild(pageButton('Previous', 'next-prev', state.page <= 1, function () { load(state.page - 1); }));
    var numbers = el('div', { class: 'next-pagination-list' });
    for (var n = 1; n <= pages; n++) {
      (function (target) {
        var item = el('button', { type: 'button', class: 'next-btn next-pagination-item' + (target === state.page ? ' next-current' : ''),
                                  text: String(target), onclick: function () { if (target !== state.page) load(target); } });
        if (target === state.page) item.setAttribute('aria-current', 'page');
        numbers.appendChild(item);
      })(n);
    }
    pager.appendChild(numbers);
    pager.appendChild(pageButton('Next', 'next-next', state.page >= pages, function () { load(state.page + 1); }));
  }

  function load(page) {
    state.page = page;
    Site.loading(true);
    var body = { _lang: 'en_US', pageNo: page, shopName: '', reverseStatus: state.status, tradeOrderId: '',
                 size: SIZE, sortOrder: 'DESC', shipTo: region() };
    Site.mtop(API, body, { method: 'POST' }).then(function (answer) {
      list.innerHTML = '';
      if (!Site.ok(answer)) {
        Site.showError(list, 'Returns could not be loaded: ' + Site.retMessage(answer), function () { load(page); });
        pager.hidden = true;
        return;
      }
      var module = answer.data.module || {};
      var shown = 0;
      (module.items || []).forEach(function (group) {
        (group.reverseOrderLines || []).forEach(function (line) { list.appendChild(row(group.shopName, line)); shown++; });
      });
      if (!shown) list.appendChild(el('div', { class: cm('reverseList', 'empty'), text: 'No returns or refunds.' }));
      drawPager(module.total || 0);
    }).catch(function (error) {
      Site.showError(list, error.message || String(error), function () { load(page); });
    }).then(function () { Site.loading(false); });
  }

  var tabs = el('div', { class: cm('reverseList', 'tabs'), role: 'tablist' });
  TABS.forEach(function (tab) {
    var button = el('button', { type: 'button', role: 'tab', class: cm('reverseList', 'tab'), text: tab[1],
                                'aria-selected': tab[0] === state.status ? 'true' : 'false' });
    button.addEventListener('click', function () {
      Array.prototype.forEach.call(tabs.children, function (t) { t.setAttribute('aria-selected', 'false'); });
      button.setAttribute('aria-selected', 'true');
      state.status = tab[0];
      load(1);
    });
    tabs.appendChild(button);
  });
  list = el('div', { class: cm('reverseList', 'list') });
  pager = el('div', { class: 'next-pagination', role: 'navigation', 'aria-label': 'Pagination' });
  Site.append(root, [el('h1', { class: cm('reverseList', 'title'), text: 'Returns/refunds' }), tabs, list, pager]);
  load(1);
})();
