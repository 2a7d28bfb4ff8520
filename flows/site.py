"""Everything the agent knows about the site's addresses, API names and selectors.

A changed page should be one edit here. Each known trap is written beside its
constant. Sources: the project's reference notes on the real site (captured API
responses of 2026-09 and public scrapers); the sandbox mirrors these shapes.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

# --- addresses (relative to the configured base URL) -------------------------------

ORDER_LIST_PATH = "/p/order/index.html"
ORDER_DETAIL_PATH = "/p/order/detail.html"  # ?orderId=<id>
TRACKING_PATH = "/p/tracking/index.html"  # ?tradeOrderId=<id>
DISPUTE_START_PATH = "/p/reverse-pages/start.html"  # ?tradeOrderLineId=<line id>
DISPUTE_LIST_PATH = "/p/refund-dispute/list.html"
DISPUTE_DETAIL_PATH = "/p/refund-dispute/detail.html"  # ?reverseOrderLineId=<id>
#: the real site sends logged-out visitors to another host (``login.aliexpress.com``,
#: ``passport.aliexpress.com``, ``login.aliexpress.us``): a page on a host named so is
#: a login page, except the hops that only copy cookies between hosts on the way back
LOGIN_HOST_LABELS = ("login", "passport")
LOGIN_SYNC_PATHS = ("/sync_cookie_read", "/sync_cookie_write")
#: login pages some regional sites keep on their own host
LOGIN_PATHS = ("/p/account/login", "/member/login", "/user/login")

# --- internal "mtop" API names ------------------------------------------------------

API_ORDER_LIST = "mtop.aliexpress.trade.buyer.order.list"
#: must be called with ``tradeOrderId``: with ``orderId`` it returns an empty skeleton
API_ORDER_DETAIL = "mtop.aliexpress.trade.buyer.order.detail"
#: answers SUCCESS even when logged out: proves nothing about the session
API_ORDER_COUNT = "mtop.aliexpress.trade.buyer.order.count"
#: ``pages`` in its answer can be 0 although items exist: count the items
API_REFUND_LIST = "mtop.aliexpress.buyer.reverse.queryreverseorderpagelistforbuyer"
API_DISPUTE_DETAIL = "mtop.aliexpress.buyer.reverse.reverseOrderLineRenderForBuyer"
API_TRACKING = "mtop.ae.ld.querydetail"


def api_path(api: str) -> str:
    """The path the page's script calls for ``api`` (lower-cased, as the site does)."""
    return f"/h5/{api.lower()}/1.0/"


def mobile_base(base_url: str, configured: str | None = None) -> str:
    """The mobile host (``m.aliexpress.com``), where the refund/dispute list and pages
    live: the configured one, else ``base_url`` with its ``www.`` host turned into ``m.``."""
    if configured:
        return configured.rstrip("/")
    parts = urlsplit(base_url)
    host = parts.netloc
    if host.startswith("www."):
        host = "m." + host[len("www."):]
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


def order_list_url(base: str) -> str:
    return f"{base.rstrip('/')}{ORDER_LIST_PATH}"


def order_detail_url(base: str, order_id: str) -> str:
    return f"{base.rstrip('/')}{ORDER_DETAIL_PATH}?{urlencode({'orderId': order_id})}"


# --- result codes in ``ret[0]`` -------------------------------------------------------

RET_SUCCESS = "SUCCESS"
RET_TOKEN = ("FAIL_SYS_TOKEN_EMPTY", "FAIL_SYS_TOKEN_EXOIRED", "FAIL_SYS_ILLEGAL_ACCESS")  # sic
RET_SESSION_GONE = ("FAIL_SYS_SESSION_EXPIRED", "NEED_LOGIN", "FAIL_SYS_SID_INVALID")
RET_ANTI_BOT = ("FAIL_SYS_USER_VALIDATE",)
RET_RATE_LIMIT = ("FAIL_SYS_TRAFFIC_LIMIT",)
#: an id the site does not know (seen from the sandbox; the real code is not captured)
RET_NOT_FOUND = ("FAIL_BIZ_NOT_FOUND",)

# --- component tags of the "Ultron" graphs (select by tag, never by key suffix) -------

TAG_LIST_ORDER = "pc_om_list_order"
TAG_LIST_BODY = "pc_om_list_body"  # fields.hasMore, pageIndex, pageSize
TAG_DETAIL_STATUS = "detail_order_status_block"
TAG_DETAIL_PRODUCT = "detail_product_block"
TAG_DETAIL_PRICE = "detail_order_price_block"
TAG_DETAIL_INFO = "detail_simple_order_info_component"
TAG_DETAIL_SERVICES = "detail_order_services"

# --- login page -----------------------------------------------------------------------

SEL_LOGIN_ID = "#fm-login-id"
SEL_LOGIN_PASSWORD = "#fm-login-password"
SEL_LOGIN_SUBMIT = "button[type=submit]"
#: any of these on a page means a person must solve a challenge
SEL_CAPTCHA = (
    "#nc_1_wrapper",
    "#nc_1_n1z",
    ".nc-container",
    "#baxia-dialog-content",
    "iframe[src*=punish]",
)
TEXT_CAPTCHA = "please slide to verify"

# --- order list DOM (fallback when no API response can be read) -----------------------

SEL_ORDER_ROW = "div.order-item"
SEL_ORDER_STATUS = ".order-item-header-status-text"
SEL_ORDER_HEADER_INFO = ".order-item-header-right-info"
SEL_ORDER_STORE = ".order-item-store-name a span"
SEL_ORDER_ITEM = ".order-item-content-body"
SEL_ORDER_ITEM_TITLE = ".order-item-content-info-name a span[title]"
SEL_ORDER_ITEM_SKU = ".order-item-content-info-sku"
#: today's list shows an item's price and quantity as separate elements [KG, GG];
#: the older layout had one text "US $26.70x1" in the number element
SEL_ORDER_ITEM_NUMBER = ".order-item-content-info-number"
SEL_ORDER_ITEM_PRICE = ".order-item-content-info-number div:first-child"
SEL_ORDER_ITEM_QUANTITY = ".order-item-content-info-number-quantity"  # "x2"
SEL_ORDER_TOTAL = ".order-item-content-opt-price-total"
SEL_ORDER_BUTTONS = ".order-item-btns button"
SEL_ORDER_MORE = ".order-more button"
#: the list is not stably sorted (a receipts tool saw paging skip orders, 2026-10): a
#: pass over all pages that showed an order twice is read again from page 1, at most
#: this many passes in all. Each pass costs a page load per page; with two orders of one
#: day split by each of two page boundaries, 4 passes still miss an order in about 1 run
#: of 65 — and that run says how many it missed (flows/paging.py)
ORDER_LIST_PASSES = 4
SEL_LOADING = "div.comet-loading-wrap"
#: what a detail page loads that the agent does not read (it reads the API answer)
DETAIL_SKIPPED_RESOURCES = "**/*.{png,jpg,jpeg,gif,webp,svg,css,woff,woff2,ttf}"

# --- the language of the pages ----------------------------------------------------------

#: the cookie the site keeps region, language and currency in, a query string such as
#: "region=US&site=glo&b_locale=en_US&c_tp=USD" (some clients see it URL-encoded whole)
LOCALE_COOKIE = "aep_usuc_f"
LOCALE_KEY = "b_locale"
#: the language every text parser reads; the session asks for it through the cookie
READ_LOCALE = "en_US"
#: a language's own name, to say which one a page came in
LANGUAGE_NAMES = {
    "en": "English", "pt": "Português", "es": "Español", "fr": "Français", "de": "Deutsch",
    "it": "Italiano", "nl": "Nederlands", "pl": "Polski", "ru": "Русский", "tr": "Türkçe",
    "uk": "Українська", "ko": "한국어", "ja": "日本語", "ar": "العربية", "he": "עברית",
    "th": "ไทย", "vi": "Tiếng Việt", "id": "Bahasa Indonesia",
}
#: how a person puts the account back into English (the language menu [ARC])
LANGUAGE_REMEDY = ("set the account's language to English on the site (the 'Ship to' menu at the top "
                   "of any page → Language → English → Save) and run again")


def cookie_domain(base_url: str) -> str | None:
    """The parent domain the site's cookies live on: ".aliexpress.com" for
    ``www.aliexpress.com``; None for an IP address or a one-label host (``localhost``),
    whose cookies are the host's own."""
    host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    labels = host.split(".")
    if not host or len(labels) < 2 or all(label.isdigit() for label in labels) or ":" in host:
        return None
    return "." + ".".join(labels[1:] if len(labels) > 2 else labels)


#: the order list's countdown line (sandbox; the real class name is not captured)
SEL_ORDER_REMINDER = ".order-item-reminder"
#: the "View details" link of a row
SEL_ORDER_DETAIL_LINK = ".order-item-header-right a[href*='detail.html']"

_API_NAMES = (API_ORDER_LIST, API_ORDER_DETAIL, API_ORDER_COUNT, API_REFUND_LIST,
              API_DISPUTE_DETAIL, API_TRACKING)


def api_of_url(url: str) -> str | None:
    """The (lower-cased) API name an ``/h5/<api>/1.0/`` address calls, else None."""
    marker = "/h5/"
    lowered = url.lower()
    start = lowered.find(marker)
    if start < 0:
        return None
    name = lowered[start + len(marker):].split("/", 1)[0]
    return name or None


def is_login_url(url: str) -> bool:
    """True for a page where the site asks who you are (not for a cookie-sync hop)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    if host.split(".", 1)[0] in LOGIN_HOST_LABELS:
        return not path.startswith(LOGIN_SYNC_PATHS)
    return path.rstrip("/").startswith(LOGIN_PATHS)
#: a one-time code step after the password (e-mail or SMS)
SEL_LOGIN_CODE = "#fm-email-code, input[name=emailCode], input[name=smsCode]"
SEL_LOGIN_ERROR = ".login-error, .fm-error"

# --- the dispute form (reverse-pages/start.html) ------------------------------------------
# Today's form is not captured publicly: these follow the sandbox, which follows the
# reference notes. Sources disagree on the limits; the safer (smaller) values are used,
# and every one can be overridden in the settings ([attachments]).

ATTACHMENT_IMAGE_TYPES = ("jpg", "jpeg", "png", "gif", "bmp")
ATTACHMENT_MAX_IMAGES = 3
ATTACHMENT_IMAGE_MAX_BYTES = 2 * 1024 * 1024  # "under 2 MB each" (copied help text)
ATTACHMENT_VIDEO_TYPES = ("mp4", "mov", "avi")
ATTACHMENT_MAX_VIDEOS = 1
ATTACHMENT_VIDEO_MAX_BYTES = 500 * 1024 * 1024  # 2017 help; 2025 says 2 GB

#: the item's "Returns/refunds" button (type OPEN_DISPUTE in the detail answer)
SEL_DISPUTE_BUTTON = "button[data-type=OPEN_DISPUTE][data-line-id='{line_id}']"
#: the "Have you received your package?" dialog it opens
SEL_RECEIVED_YES = "#dispute-received-yes"
SEL_RECEIVED_NO = "#dispute-received-no"
SEL_FORM = "#reverse-form"
SEL_FORM_REASON = "#reverse-reason"
SEL_FORM_SOLUTION = "#reverse-solution-{solution}"  # refund_only | return_and_refund
SEL_FORM_REFUND_FULL = "#reverse-refund-full"
SEL_FORM_REFUND_PARTIAL = "#reverse-refund-partial"
SEL_FORM_AMOUNT = "#reverse-amount"
SEL_FORM_DESCRIPTION = "#reverse-description"
SEL_FORM_FILES = "#reverse-files"
SEL_FORM_SUBMIT = "#reverse-submit"
SEL_FORM_ERROR = "#reverse-form-error"
#: where a submitted dispute lands: its detail page carries the new case's id
DISPUTE_ID_PARAM = "reverseOrderLineId"

# --- the dispute list and a dispute's page -------------------------------------------------

#: "View more" under the refund/dispute list (its answer's ``pages`` may say 0: count items)
SEL_DISPUTE_LIST_MORE = "#reverse-list-more button"
SEL_DISPUTE_LIST_ITEM = ".reverse-list-item"
#: the dispute page has drawn its data (for a screenshot worth keeping)
SEL_DISPUTE_RENDERED = "#reverse-detail-body > *"


def dispute_detail_url(base: str, reverse_line_id: str) -> str:
    return f"{mobile_base(base)}{DISPUTE_DETAIL_PATH}?{urlencode({DISPUTE_ID_PARAM: reverse_line_id})}"
SEL_ACTION_ACCEPT = "#reverse-accept"
SEL_ACTION_ACCEPT_CONFIRM = "#reverse-accept-confirm"
SEL_ACTION_REJECT = "#reverse-reject"
SEL_ACTION_REJECT_AMOUNT = "#reverse-reject-amount"
SEL_ACTION_REJECT_MESSAGE = "#reverse-reject-message"
SEL_ACTION_REJECT_SUBMIT = "#reverse-reject-submit"
SEL_ACTION_ESCALATE = "#reverse-escalate"
SEL_ACTION_EVIDENCE = "#reverse-add-evidence"
SEL_ACTION_EVIDENCE_FILES = "#reverse-evidence-files"
SEL_ACTION_EVIDENCE_MESSAGE = "#reverse-evidence-message"
SEL_ACTION_EVIDENCE_SUBMIT = "#reverse-evidence-submit"
SEL_ACTION_ANSWER = "#reverse-answer"
SEL_ACTION_ANSWER_FILES = "#reverse-answer-files"
SEL_ACTION_ANSWER_MESSAGE = "#reverse-answer-message"
SEL_ACTION_ANSWER_SUBMIT = "#reverse-answer-submit"
SEL_ACTION_NOTICE = "#reverse-action-notice"
SEL_ACTION_ERROR = "#reverse-action-error"

#: tracking codes that mean the parcel was handed over
TRACKING_DELIVERED_CODES = ("AE_GTMS_SIGNED",)


def tracking_url(base: str, order_id: str) -> str:
    return f"{base.rstrip('/')}{TRACKING_PATH}?{urlencode({'tradeOrderId': order_id})}"
