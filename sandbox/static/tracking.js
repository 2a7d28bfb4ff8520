/* Tracking: mtop.ae.ld.querydetail with tradeOrderId, newest event first. */
(function () {
  'use strict';
  var Site = window.Site;
  var el = Site.el;
  var root = Site.byId('tracking-body');
  var orderId = Site.query('tradeOrderId');

  function load() {
    if (!orderId) { Site.showError(root, 'No order was given: the address needs ?tradeOrderId=…'); return; }
    Site.loading(true);
    Site.mtop('mtop.ae.ld.querydetail', { tradeOrderId: orderId }).then(function (body) {
      if (!Site.ok(body)) { Site.showError(root, 'Tracking could not be loaded: ' + Site.retMessage(body)); return; }
      root.innerHTML = '';
      var module = body.data.module || {};
      var lines = module.trackingDetailLineList || [];
      var to = module.logisticsReceiverInfo;
      if (to) {
        root.appendChild(el('div', { class: 'tracking-receiver' },
          el('div', { class: 'tracking-receiver-name', text: to.contactName + ' ' + to.phoneCountry + ' ' + to.phoneNumber }),
          el('div', { class: 'tracking-receiver-address', text: [to.address, to.address2, to.city, to.province, to.zipCode, to.country].filter(Boolean).join(', ') })));
      }
      lines.forEach(function (line) {
        var events = line.detailList || [];
        root.appendChild(el('div', { class: 'tracking-package' },
          el('div', { class: 'tracking-carrier' },
            el('span', { class: 'tracking-carrier-name', text: line.logisticsCarrierName }),
            el('span', { class: 'tracking-number', text: line.mailNo ? 'Tracking number: ' + line.mailNo : 'No tracking number yet' })),
          events.length ? el('ol', { class: 'tracking-events' }, events.map(function (e) {
            return el('li', { class: 'tracking-event', 'data-code': e.trackingPrimaryCode },
              el('div', { class: 'tracking-event-time', text: e.timeText }),
              el('div', { class: 'tracking-event-name', text: e.trackingName }),
              el('div', { class: 'tracking-event-desc', text: e.trackingDetailDesc + (e.detailedLocation ? ' — ' + e.detailedLocation : '') }));
          })) : el('div', { class: 'tracking-empty', text: 'No tracking events yet.' })));
      });
    }).catch(function (error) {
      Site.showError(root, error.message || String(error), load);
    }).then(function () { Site.loading(false); });
  }

  load();
})();
