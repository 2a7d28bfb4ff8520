/* Order list: order.list page 1 by GET, later pages by POST ("View orders"), rendered with
 * the real site's class names (div.order-item, .order-item-header-status-text, …).
 * A later page's answer carries only what changed (the body component and the new
 * orders): its orders are appended to the ones shown. Labels come in the page's
 * language from the template (data-labels). */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var API = 'mtop.aliexpress.trade.buyer.order.list';
  var PAGE_SIZE = 10;
  var list = Site.byId('order-list');
  var main = Site.byId('order-main');
  var nextPage = 1;
  var busy = false;
  var labels = {};
  try { labels = JSON.parse(main.getAttribute('data-labels') || '{}'); } catch (e) { labels = {}; }
  function label(key, fallback) { return labels[key] || fallback; }

  var CLOCK_ICON = '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round"/></svg>';

  function detailUrl(f) {
    return (f.orderDetailUrl || '/p/order/detail.html') + '?orderId=' + encodeURIComponent(f.orderId);
  }

  function renderLine(line) {
    var sku = (line.skuAttrs || []).map(function (a) { return a.text; }).join(', ');
    return el('div', { class: 'order-item-content-body' },
      el('a', { class: 'order-item-content-img', href: line.itemDetailUrl || '#',
                style: 'background-image: url(' + (line.itemImgUrl || '/static/item.png') + ')' }),
      el('div', { class: 'order-item-content-info' },
        el('div', { class: 'order-item-content-info-name' },
          el('a', { href: line.itemDetailUrl || '#' }, el('span', { title: line.itemTitle, text: line.itemTitle }))),
        el('div', { class: 'order-item-content-info-sku', text: sku }),
        el('div', { class: 'order-item-content-info-number' },
          el('div', { text: line.itemPriceText }),
          el('span', { class: 'order-item-content-info-number-quantity', text: 'x' + line.quantity }))));
  }

  function renderButton(f, button) {
    return el('button', {
      type: 'button', class: 'comet-btn order-item-btn' + (button.displayType === 'primary' ? ' comet-btn-primary' : ''),
      'data-type': button.type, text: button.text,
      onclick: function () {
        if (button.type === 'TRACKING') location.href = '/p/tracking/index.html?tradeOrderId=' + encodeURIComponent(f.orderId);
        else if (button.type === 'PAY_NOW' || button.type === 'CONFIRM_GOODS') location.href = detailUrl(f);
      }
    });
  }

  function renderOrder(f) {
    var copy = el('span', { class: 'order-item-header-right-info-copy', role: 'button', text: label('copy', 'Copy'),
      onclick: function () { if (navigator.clipboard) navigator.clipboard.writeText(f.orderId).catch(function () {}); } });
    var item = el('div', { class: 'order-item', 'data-order-id': f.orderId },
      el('div', { class: 'order-item-header' },
        el('div', { class: 'order-item-header-status' },
          el('span', { class: 'order-item-header-status-text', text: f.statusText })),
        el('div', { class: 'order-item-header-right' },
          el('div', { class: 'order-item-header-right-info' },
            el('div', { text: label('order_date', 'Order date: ') + f.orderDateText }),
            el('div', {}, label('order_id', 'Order ID: ') + f.orderId, copy)),
          el('a', { class: 'order-item-header-right-detail', href: detailUrl(f), text: f.orderDetailText || label('details', 'Details') }))),
      el('div', { class: 'order-item-store' },
        el('span', { class: 'order-item-store-name' },
          el('a', { href: f.storePageUrl || '#' }, el('span', { text: f.storeName })))));
    if (f.orderReminderText) {
      var reminder = el('div', { class: 'order-item-reminder' });
      reminder.appendChild(el('i', { class: 'order-item-reminder-icon' }));
      reminder.firstChild.innerHTML = CLOCK_ICON;
      reminder.appendChild(el('span', { class: 'order-item-reminder-text' },
        Site.liveText(f.orderReminderText, 'order-item-reminder-time')));
      item.appendChild(reminder);
    }
    var buttons = el('div', { class: 'order-item-btns' });
    (f.buttons || []).forEach(function (b) { buttons.appendChild(renderButton(f, b)); });
    item.appendChild(el('div', { class: 'order-item-content' },
      el('div', { class: 'order-item-content-lines' }, (f.orderLines || []).map(renderLine)),
      el('div', { class: 'order-item-content-opt' },
        el('div', { class: 'order-item-content-opt-price' },
          el('span', { class: 'order-item-content-opt-price-total', text: label('total', 'Total:') + f.totalPriceText })),
        buttons)));
    return item;
  }

  function setMore(hasMore, text) {
    var more = Site.$('.order-more');
    if (!hasMore) { if (more) more.parentNode.removeChild(more); return; }
    if (!more) {
      more = el('div', { class: 'order-more' },
        el('button', { type: 'button', class: 'comet-btn comet-btn-large', text: text || label('more', 'View orders'), onclick: loadNext }));
      main.appendChild(more);
    }
  }

  function loadNext() {
    if (busy) return;
    busy = true;
    var page = nextPage;
    var data = { pageIndex: page, pageSize: PAGE_SIZE, statusTab: 'all', searchInput: '' };
    Site.loading(true);
    var errorBox = Site.$('.order-load-error');
    if (errorBox) errorBox.parentNode.removeChild(errorBox);
    Site.mtop(API, data, page === 1 ? {} : { method: 'POST' }).then(function (body) {
      if (!Site.ok(body)) throw new Site.SiteError(label('error', 'Orders could not be loaded: ') + Site.retMessage(body));
      var g = Site.graph(body.data);
      var bodyKey = g.keyOf('pc_om_list_body');
      var fields = (g.components[bodyKey] || {}).fields || {};
      g.children(bodyKey).forEach(function (c) {
        if (c.tag === 'pc_om_list_order') list.appendChild(renderOrder(c.fields));
      });
      if (!list.children.length) list.appendChild(el('div', { class: 'order-empty', text: label('empty', 'No orders yet.') }));
      nextPage = page + 1;
      setMore(!!fields.hasMore, fields.hasMoreText);
    }).catch(function (error) {
      var holder = el('div', { class: 'order-load-error' });
      main.appendChild(holder);
      Site.showError(holder, error.message || String(error), loadNext);
    }).then(function () {
      busy = false;
      Site.loading(false);
    });
  }

  loadNext();
})();
