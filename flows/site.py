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
#: on the m. host (``mobile_base``), like the dispute page below
DISPUTE_LIST_PATH = "/p/refund-dispute/list.html"
#: the refund list's ``refund_details`` link: ?pha_manifest=refund-amount&tradeOrderLineId=<line id>
DISPUTE_DETAIL_PATH = "/p/refund-amount/detail.html"
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
SEL_ORDER_ITEM_PRICE = ".order-item-content-info-number"
SEL_ORDER_TOTAL = ".order-item-content-opt-price-total"
SEL_ORDER_BUTTONS = ".order-item-btns button"
SEL_ORDER_MORE = ".order-more button"
SEL_LOADING = "div.comet-loading-wrap"
#: what a detail page loads that the agent does not read (it reads the API answer)
DETAIL_SKIPPED_RESOURCES = "**/*.{png,jpg,jpeg,gif,webp,svg,css,woff,woff2,ttf}"

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

# --- the dispute list and a dispute's page (m. host, React pages) ---------------------------
# Rows, amounts, the status line, the disagree path and the paging control are quoted by
# public tools that drive today's site [AR, ARC]; the other texts and controls of the
# dispute page are guesses listed in flows/assumptions.py, which the flows name when the
# page does not match.

#: the list's rows: one per case line of the answer [AR]
SEL_DISPUTE_LIST_ROW = '[class*="orderItem--orderItem--"]'
#: the list's "next page" control; disabled by ``disabled`` or ``aria-disabled="true"`` [AR]
SEL_DISPUTE_LIST_NEXT = ".next-pagination .next-next"
#: no more than this many list pages are followed (a paging control that never ends)
DISPUTE_LIST_MAX_PAGES = 100

#: the dispute page's status line: "Waiting for your response", "Refund complete", … [ARC]
SEL_DISPUTE_STATUS = '[class*="reminder--statusStr--"]'
#: the amount on the table, with its currency [AR reads it as the case page's amount]
SEL_DISPUTE_AMOUNT = '[class*="newReverseRefundInfo--amount--"]'
#: the stage's deadline in words, e.g. "Respond before 2026-11-21 09:00:00" (assumption)
SEL_DISPUTE_DEADLINE = '[class*="deadline--text--"]'
#: the dispute page has drawn its data (for a screenshot worth keeping)
SEL_DISPUTE_RENDERED = SEL_DISPUTE_STATUS
#: the two readings of a deadline may differ by this much (seconds dropped from a text,
#: a page drawn a moment after its answer); anything more is a disagreement
DEADLINE_TOLERANCE_SECONDS = 120

#: answering a proposal [ARC]: the solutions, then "I don't agree…", then the dialog
TEXT_VIEW_SOLUTIONS = "View possible solutions"
SEL_DISAGREE = '[class*="cco--checkTitle--"]'
TEXT_DISAGREE = "I don't agree with above solution(s)"
TEXT_UPLOAD_MORE = "Upload more photos/videos"
SEL_DIALOG = ".comet-v2-modal"
SEL_DIALOG_TEXT = '[class*="evidence--textarea--"]'
SEL_DIALOG_FILES = 'input[type=file][accept*="image"]'
#: a photo counts once its thumbnail shows it: going on before that loses it [ARC]
SEL_UPLOAD_DONE = '[class*="upload--imageThumb--"][style*="background-image"]'
UPLOAD_TIMEOUT_MS = 30_000
SEL_DIALOG_SUBMIT = ".comet-v2-modal-footer button.comet-v2-btn-primary"
#: the disagree dialog's new proposal (assumption: no public source shows it)
SEL_DIALOG_AMOUNT = 'input[name="refundAmount"]'
#: a solution on the table, its amount, and its accept button (assumption)
SEL_SOLUTION_CARD = '[class*="solution--card--"]'
SEL_SOLUTION_AMOUNT = '[class*="solution--amount--"]'
TEXT_ACCEPT = "Accept"
TEXT_CONFIRM = "Confirm"
#: the other actions' buttons (assumption: no public source shows them)
TEXT_ESCALATE = "Escalate dispute"
TEXT_ANSWER_MEDIATOR = "Provide information"
TEXT_ADD_EVIDENCE = "Add photos/videos"
TEXT_SHIP_RETURN = "Enter tracking number"
SEL_DIALOG_TRACKING = 'input[name="trackingNumber"]'
#: how the page says an action went through, or why not (assumption): ARIA roles
ROLE_DONE = "status"
ROLE_REFUSED = "alert"

#: the stage from ``reverseDetailStatus``: only 100 ("Request complete") is observed [EM]
DISPUTE_STAGE_BY_CODE = {100: "FINISHED"}
#: the stage from an English status text, the answer's or the page's (lower-case). The page's
#: "Waiting for your response", "Waiting for AliExpress's feedback" and "Refund complete"
#: [ARC] and the answer's "Request complete" [EM] are observed; the rest are the sandbox's
#: words (assumption "dispute-stage-texts"). A text not listed is UNKNOWN: never guessed.
DISPUTE_STAGE_BY_TEXT = {
    "waiting for your response": "WAIT_BUYER_RESPONSE",
    "waiting for aliexpress's feedback": "ESCALATED",
    "refund complete": "FINISHED",
    "request complete": "FINISHED",
    "request closed": "FINISHED",
    "waiting for the seller's response": "WAIT_SELLER_RESPONSE",
    "aliexpress needs more information": "WAIT_BUYER_INFO",
    "aliexpress needs more information from you": "WAIT_BUYER_INFO",
    "waiting for you to return the item": "WAIT_RETURN_SHIPMENT",
    "please return the item": "WAIT_RETURN_SHIPMENT",
}


def dispute_list_url(base: str, mobile_url: str | None = None) -> str:
    return f"{mobile_base(base, mobile_url)}{DISPUTE_LIST_PATH}"


def dispute_detail_url(base: str, trade_line_id: str, mobile_url: str | None = None) -> str:
    """A case's page by its order line, the way the refund list links it."""
    query = urlencode({"pha_manifest": "refund-amount", "tradeOrderLineId": trade_line_id})
    return f"{mobile_base(base, mobile_url)}{DISPUTE_DETAIL_PATH}?{query}"


#: tracking codes that mean the parcel was handed over
TRACKING_DELIVERED_CODES = ("AE_GTMS_SIGNED",)


def tracking_url(base: str, order_id: str) -> str:
    return f"{base.rstrip('/')}{TRACKING_PATH}?{urlencode({'tradeOrderId': order_id})}"
