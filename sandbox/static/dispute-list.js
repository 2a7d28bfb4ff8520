/* Refund/dispute list: queryreverseorderpagelistforbuyer with {reverseStatus, pageNum}
 * (1 = all, 2 and 3 = in progress, 4 = finished). Its "pages" field can be 0 although
 * items exist, so paging counts items against "total". */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var API = 'mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer';
  var list = Site.byId('reverse-list');
  var more = Site.byId('reverse-list-more');
  var status = 1;
  var page = 1;
  var shown = 0;
  var STATUS_TEXT = { 2: 'In progress', 3: 'Dispute escalated', 4: 'Finished' };
  var TYPE_TEXT = { 1: 'Refund only', 2: 'Return and refund' };

  function renderItem(shopName, line) {
    var item = line.aeItemDTO || {};
    var view = (line.buttonDTOList || []).filter(function (b) { return b.type === 'view_details'; })[0] || {};
    var href = view.detailUrl || ('/p/refund-dispute/detail.html?reverseOrderLineId=' + line.reverseOrderLineId);
    return el('div', { class: 'reverse-list-item', 'data-reverse-line-id': line.reverseOrderLineId, 'data-status': line.reverseStatus },
      el('div', { class: 'reverse-list-item-header' },
        el('span', { class: 'reverse-list-item-store', text: shopName }),
        el('span', { class: 'reverse-list-item-status', text: STATUS_TEXT[line.reverseStatus] || String(line.reverseStatus) })),
      el('div', { class: 'reverse-list-item-body' },
        el('div', { class: 'reverse-list-item-img', style: 'background-image: url(/static/item.png)' }),
        el('div', { class: 'reverse-list-item-info' },
          el('div', { class: 'reverse-list-item-title', text: item.itemTitle }),
          el('div', { class: 'reverse-list-item-type', text: TYPE_TEXT[line.solutionType] || '' }),
          el('div', { class: 'reverse-list-item-price', text: (item.itemUnitPrice || {}).formatMoney || '' }),
          el('div', { class: 'reverse-list-item-date', text: 'Opened on ' + line.gmtCreateFormat }),
          el('div', { class: 'reverse-list-item-order', text: 'Order ID: ' + line.tradeOrderId })),
        el('a', { class: 'comet-btn reverse-list-item-detail', href: href, text: 'View details' })));
  }

  function load(reset) {
    if (reset) { page = 1; shown = 0; list.innerHTML = ''; }
    Site.loading(true);
    more.hidden = true;
    Site.mtop(API, { reverseStatus: status, pageNum: page }).then(function (body) {
      if (!Site.ok(body)) { Site.showError(list, 'Returns could not be loaded: ' + Site.retMessage(body), function () { load(true); }); return; }
      var module = body.data.module || {};
      (module.items || []).forEach(function (group) {
        (group.reverseOrderLines || []).forEach(function (line) { list.appendChild(renderItem(group.shopName, line)); shown++; });
      });
      if (!shown) list.appendChild(el('div', { class: 'reverse-list-empty', text: 'No returns or refunds.' }));
      more.hidden = !(shown < (module.total || 0));
      page += 1;
    }).catch(function (error) {
      Site.showError(list, error.message || String(error), function () { load(true); });
    }).then(function () { Site.loading(false); });
  }

  Site.$all('.reverse-list-tab').forEach(function (tab) {
    tab.addEventListener('click', function () {
      Site.$all('.reverse-list-tab').forEach(function (t) { t.classList.remove(Site.C('reverse-list-tab-active')); });
      tab.classList.add(Site.C('reverse-list-tab-active'));
      status = parseInt(tab.getAttribute('data-status'), 10);
      load(true);
    });
  });
  more.querySelector('button').addEventListener('click', function () { load(false); });
  load(true);
})();
