/* Order detail: order.detail called with tradeOrderId (with orderId the real API answers an
 * empty skeleton), blocks selected by tag and laid out in hierarchy order. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var API = 'mtop.aliexpress.trade.buyer.order.detail';
  var root = Site.byId('order-detail-body');
  var orderId = Site.query('orderId');

  /* the form's address: the answer's href plus the line and the answer to the question
     (the real query is not public: sandbox assumption) */
  function startUrl(href, lineId, received) {
    var base = href || Site.www('/p/reverse-pages/start.html');
    return base + (base.indexOf('?') >= 0 ? '&' : '?') + 'tradeOrderLineId=' + encodeURIComponent(lineId) +
      '&received=' + received;
  }

  /* "Have you received your package?": the choice opens the form in a new tab, as the real page does */
  function askReceived(button, lineId) {
    var ext = button.extMap || {};
    var yes = ext.okButton || {};
    var no = ext.cancelButton || {};
    function go(href, received) {
      return function (close) { close(); window.open(startUrl(href, lineId, received), '_blank'); };
    }
    Site.modal({
      title: ext.title || 'Have you received your package?',
      buttons: [
        { text: no.text || 'No', onclick: go(no.href, 'no') },
        { text: yes.text || 'Yes', primary: true, onclick: go(yes.href, 'yes') }
      ]
    });
  }

  /* the item's buttons carry no data attributes: the live page's are not known to */
  function productButton(product, b) {
    return el('button', {
      type: 'button', class: 'comet-btn order-detail-item-btn', text: b.text,
      onclick: function () {
        if (b.type === 'OPEN_DISPUTE') askReceived(b, product.orderLineId);
        else if (b.href) location.href = b.href;
      }
    });
  }

  function statusBlock(f) {
    var reminder = el('div', { class: 'order-detail-status-reminder' }, Site.liveText(f.reminder || '', 'order-detail-status-countdown'));
    return el('div', { class: 'order-detail-block order-detail-status' },
      el('div', { class: 'order-detail-status-title', text: f.title }),
      f.reminder ? reminder : null,
      el('div', { class: 'order-detail-status-btns' }, (f.buttonVOList || []).map(function (b) {
        return el('button', {
          type: 'button', 'data-type': b.type, class: 'comet-btn' + (b.displayType === 'primary' ? ' comet-btn-primary' : ''), text: b.text,
          onclick: function () { if (b.type === 'TRACKING') location.href = '/p/tracking/index.html?tradeOrderId=' + encodeURIComponent(orderId); }
        });
      })));
  }

  function servicesBlock(f) {
    return el('div', { class: 'order-detail-block order-detail-services' },
      el('div', { class: 'order-detail-block-title', text: f.title || 'Service Commitment' }),
      (f.data || []).map(function (s) {
        return el('div', { class: 'order-detail-service' },
          el('span', { class: 'order-detail-service-title', text: s.title }),
          el('span', { class: 'order-detail-service-content', text: s.content }));
      }));
  }

  function infoBlock(f) {
    var rows = [
      [f.orderIdTitle || 'Order ID', String(f.tradeOrderId), 'order-detail-info-id'],
      [f.orderCreatTimeTile, f.orderCreatTime, 'order-detail-info-placed'],
      [f.payTimeTitle, f.payTime, 'order-detail-info-paid'],
      [f.orderShipTimeTile, f.orderShipTime, 'order-detail-info-shipped'],
      [f.orderEndTimeTile, f.orderEndTime, 'order-detail-info-completed'],
      [f.paymentMethodTitle, f.paymentMethod, 'order-detail-info-payment']
    ];
    var a = f.addressVO;
    return [a ? el('div', { class: 'order-detail-block order-detail-address' },
      el('div', { class: 'order-detail-block-title', text: 'Ship to' }),
      el('div', { class: 'order-detail-address-name' },
        el('span', { text: a.contactName }), el('span', { class: 'order-detail-address-phone', text: ' ' + a.fullPhoneNo })),
      el('div', { class: 'order-detail-address-line', text: [a.detailAddress, a.detailAddress2].filter(Boolean).join(', ') }),
      el('div', { class: 'order-detail-address-line', text: a.regionAddress })) : null,
    el('div', { class: 'order-detail-block order-detail-info' },
      el('div', { class: 'order-detail-block-title', text: 'Order info' }),
      rows.filter(function (r) { return r[1]; }).map(function (r) {
        return el('div', { class: 'order-detail-info-item ' + r[2] },
          el('span', { class: 'order-detail-info-label', text: r[0] + ':' }),
          el('span', { class: 'order-detail-info-value', text: r[1] }));
      }))].filter(Boolean);
  }

  function productBlock(f) {
    var seller = f.sellerVO || {};
    return el('div', { class: 'order-detail-block order-detail-products' },
      el('div', { class: 'order-detail-store' }, el('a', { href: seller.storeUrl || '#' }, el('span', { text: seller.sellerName }))),
      (f.productVOList || []).map(function (p) {
        var sku = (p.skuAttrs || []).map(function (a) { return a.name + ': ' + a.text; }).join(', ');
        return el('div', { class: 'order-detail-item', 'data-line-id': p.orderLineId },
          el('a', { class: 'order-detail-item-img', href: p.itemDetailUrl || '#', style: 'background-image: url(' + (p.itemImgUrl || '/static/item.png') + ')' }),
          el('div', { class: 'order-detail-item-info' },
            el('div', { class: 'order-detail-item-title' }, el('a', { href: p.itemDetailUrl || '#', title: p.itemTitle, text: p.itemTitle })),
            el('div', { class: 'order-detail-item-sku', text: sku }),
            el('div', { class: 'order-detail-item-price' },
              el('span', { class: 'order-detail-item-price-text', text: p.itemPriceText }),
              el('span', { class: 'order-detail-item-quantity', text: ' x' + p.quantity }))),
          el('div', { class: 'order-detail-item-btns' }, (p.buttonVOS || []).map(function (b) { return productButton(p, b); })));
      }));
  }

  function priceBlock(f) {
    var total = f.totalPrice || {};
    return el('div', { class: 'order-detail-block order-detail-price' },
      (f.priceDetails || []).map(function (row) {
        return el('div', { class: 'order-detail-price-item' },
          el('span', { class: 'order-detail-price-label', text: row.title }),
          el('span', { class: 'order-detail-price-value', text: row.value }));
      }),
      el('div', { class: 'order-detail-price-item order-detail-price-total' },
        el('span', { class: 'order-detail-price-label', text: total.title || 'Total' }),
        el('span', { class: 'order-detail-price-value', text: total.value })));
  }

  var RENDER = {
    detail_order_status_block: statusBlock,
    detail_order_services: servicesBlock,
    detail_simple_order_info_component: infoBlock,
    detail_product_block: productBlock,
    detail_order_price_block: priceBlock
  };

  function load() {
    if (!orderId) { Site.showError(root, 'No order was given: the address needs ?orderId=…'); return; }
    Site.loading(true);
    Site.mtop(API, { tradeOrderId: orderId }).then(function (body) {
      if (!Site.ok(body)) {
        var message = Site.retCode(body) === 'FAIL_BIZ_NOT_FOUND'
          ? 'Order not found: ' + Site.retMessage(body) : 'The order could not be loaded: ' + Site.retMessage(body);
        Site.showError(root, message, Site.retCode(body) === 'FAIL_BIZ_NOT_FOUND' ? null : load);
        return;
      }
      var g = Site.graph(body.data);
      root.innerHTML = '';
      g.children(body.data.hierarchy.root).forEach(function (c) {
        var render = RENDER[c.tag];
        if (render) [].concat(render(c.fields || {})).forEach(function (node) { root.appendChild(node); });
      });
    }).catch(function (error) {
      Site.showError(root, error.message || String(error), load);
    }).then(function () { Site.loading(false); });
  }

  load();
})();
