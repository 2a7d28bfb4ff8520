"""Everything the agent knows about the site's addresses, API names and selectors.

A changed page should be one edit here. Each known trap is written beside its
constant. Sources: the project's reference notes on the real site (captured API
responses of 2026-09 and public scrapers); the sandbox mirrors these shapes.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

# --- addresses (relative to the configured base URL) -------------------------------

ORDER_LIST_PATH = "/p/order/index.html"
ORDER_DETAIL_PATH = "/p/order/detail.html"  # ?orderId=<id>
TRACKING_PATH = "/p/tracking/index.html"  # ?tradeOrderId=<id>
DISPUTE_START_PATH = "/p/reverse-pages/start.html"  # opened in a new tab by the order page
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

# --- sign-in (the login host) ----------------------------------------------------------
# Today's sign-in is two steps on one page [GG, FGC, ARC]: the e-mail/phone field and a
# "Continue" button (type=button, aria-label "Continue"), then the password and "Sign in"
# (type=button, its text in a span). The older one-page form [KG] is still recognised:
# both fields visible at once. After "Sign in" the browser leaves the login host through
# the cookie-sync hop, or the page says why not.

#: the e-mail/phone field: today's label, the 2025 label, the older form's id
SEL_LOGIN_ID = "input[label='Email or phone number'], input[label='Email'], #fm-login-id"
SEL_LOGIN_PASSWORD = "#fm-login-password, input[label='Password'], input[type=password]"
TEXT_LOGIN_CONTINUE = "Continue"
TEXT_LOGIN_SUBMIT = "Sign in"
#: the e-mail suggestion menu that opens over "Continue" while typing (also the account
#: chooser's box); "Continue" also stays disabled until the field loses focus [FGC]
SEL_LOGIN_EMAIL_PROMPT = "div.nfm-multiple-email-prompt"
#: the account chooser's way back to the classic form [FGC]
TEXT_LOGIN_SWITCH_ACCOUNT = "Switch account"
#: where the site says why it refused ("Your account name or password is incorrect.") [FGC, GG]
SEL_LOGIN_ERROR = ".nfm-login-input-error-text"
#: a one-time code page after the password [GG]: "Email verification code", boxes data-id 0..n
SEL_LOGIN_CODE = "input[data-id='0']"
TEXT_LOGIN_CODE = re.compile(r"verification code", re.I)
#: any of these, visible, means a person must solve a challenge [FGC, Antibot-Detector]
SEL_CAPTCHA = (
    "#nc_1_wrapper",
    "#nc_1_n1z",
    ".nc-container",
    ".baxia-dialog",
    "#baxia-dialog-content",
    "iframe[src*=x5sec]",
    "iframe[src*=punish]",
    "iframe[src*=captcha]",  # also nocaptcha
    "iframe[src*=awsc]",
    "iframe[src*=baxia]",
)
TEXT_CAPTCHA = re.compile(r"slide.{0,20}verify|drag.{0,20}slider|\u5411\u53f3\u6ed1\u52a8", re.I)
#: the anti-bot layer's own page instead of the one asked for:
#: ``<page URL>/_____tmd_____/punish?x5secdata=…&x5step=1``
CHALLENGE_URL = re.compile(r"/_____tmd_____/punish|[?&]x5secdata=|/punish\?")

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
#: the order list's tab hides the rows above the last ones shown (never the last page's,
#: nor the "View orders" button): a row out of the layout costs its tab no layout, paint
#: or image memory, and its text is still read (1,200 rows: a third of the tab). Rows
#: that are not siblings are simply not hidden
ORDER_ROWS_SHOWN = 20
ORDER_LIST_FOLD_CSS = f"{SEL_ORDER_ROW}:not(:nth-last-child(-n+{ORDER_ROWS_SHOWN})) {{ display: none !important; }}"
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

#: query parameters that carry the session's token or something made from it: the
#: API's ``sign`` is a hash over the ``_m_h5_tk`` token, and the punish page's
#: ``x5secdata`` is a captcha pass. Evidence files never keep their values.
TOKEN_QUERY_PARAMS = ("sign", "_m_h5_tk", "_m_h5_tk_enc", "x5secdata", "token", "access_token")
#: request and response headers whose values are credentials
SECRET_HEADERS = ("cookie", "set-cookie", "authorization", "proxy-authorization")

_API_NAMES = (API_ORDER_LIST, API_ORDER_DETAIL, API_ORDER_COUNT, API_REFUND_LIST,
              API_DISPUTE_DETAIL, API_TRACKING)


def api_of_url(url: str, *, keep_case: bool = False) -> str | None:
    """The API name an ``/h5/<api>/1.0/`` address calls (lower-cased, for comparing;
    ``keep_case``: as the address writes it, for showing), else None."""
    marker = "/h5/"
    start = url.lower().find(marker)
    if start < 0:
        return None
    name = url[start + len(marker):].split("/", 1)[0]
    if not keep_case:
        return name.lower() or None
    spelled = parse_qs(urlsplit(url).query).get("api", [""])[0]  # the path is lower-cased, the query is not
    return (spelled if spelled.lower() == name.lower() else name) or None


def is_login_url(url: str) -> bool:
    """True for a page where the site asks who you are: not for a cookie-sync hop, nor for
    the anti-bot layer's punish page (that is a captcha, see ``is_challenge_url``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    if is_challenge_url(url):
        return False
    if host.split(".", 1)[0] in LOGIN_HOST_LABELS:
        return not path.startswith(LOGIN_SYNC_PATHS)
    return path.rstrip("/").startswith(LOGIN_PATHS)


def is_challenge_url(url: str) -> bool:
    """True for the anti-bot layer's slider page, shown instead of the page asked for."""
    return bool(CHALLENGE_URL.search(url))


# --- the dispute form (reverse-pages/start.html) ------------------------------------------
# The attachment limits: sources disagree; the safer (smaller) values are used, and every
# one can be overridden in the settings ([attachments]).

ATTACHMENT_IMAGE_TYPES = ("jpg", "jpeg", "png", "gif", "bmp")
ATTACHMENT_MAX_IMAGES = 3
ATTACHMENT_IMAGE_MAX_BYTES = 2 * 1024 * 1024  # "under 2 MB each" (copied help text)
ATTACHMENT_VIDEO_TYPES = ("mp4", "mov", "avi")
ATTACHMENT_MAX_VIDEOS = 1
ATTACHMENT_VIDEO_MAX_BYTES = 500 * 1024 * 1024  # 2017 help; 2025 says 2 GB

# Opening a dispute. The order page's part and most of the form are quoted by a public tool
# that files refunds on today's site [ARC]: each item's "Returns/refunds" button, the
# ".comet-modal" question, the form in a new tab, the ".comet-v2-select-show-arrow" reason
# dropdown and its ".comet-v2-menu-item"s, the "commet--textarea--" description (sic), the
# file input, the "upload--imageThumb--" thumbnail that must show before going on, "Next
# step", the data-pl Submit and "Confirm" in ".comet-v2-modal-footer". The form's own
# calls, the solution and amount controls and most reason texts are guesses, each listed
# in flows/assumptions.py.

#: the item's button; the order.detail answer's OPEN_DISPUTE button says its text too
TEXT_DISPUTE_BUTTON = "Returns/refunds"
#: the dialog the button opens; its title and answers come with the answer's ``extMap``
#: (``title``, ``okButton.text``, ``cancelButton.text``), these are the fallbacks
SEL_RECEIVED_DIALOG = ".comet-modal"
TEXT_RECEIVED_QUESTION = "Have you received your package?"
TEXT_RECEIVED_YES = "Yes"
TEXT_RECEIVED_NO = "No"
#: the form's own calls: its data, one upload per file, the request itself [form-calls]
API_DISPUTE_FORM = "mtop.aliexpress.reverse.buyer.render"
API_DISPUTE_UPLOAD = "mtop.aliexpress.reverse.buyer.upload"
API_DISPUTE_APPLY = "mtop.aliexpress.reverse.buyer.apply"
#: the refusal code of the form's calls, with the site's words after "::" [form-calls]
RET_FORM_REFUSED = "FAIL_BIZ_PARAM"
#: the reason: a custom dropdown (not a <select>), opened by its box, items by their text
SEL_FORM_REASON_BOX = ".comet-v2-select-show-arrow"
SEL_FORM_REASON_ITEM = ".comet-v2-menu-item"
#: the agent's reason keys -> the dropdown's texts; only "Tracked as returned/canceled/lost"
#: is quoted by a public tool [form-reason-texts]
FORM_REASON_TEXTS = {
    "not_arrived": "Package did not arrive in time",
    "wrong_address": "Shipping address is wrong",
    "no_tracking": "No tracking information",
    "customs": "Package held by customs",
    "returned_to_sender": "Tracked as returned/canceled/lost",
    "not_as_described": "Item not as described",
    "quality": "Quality problem",
    "damaged": "Item damaged or broken",
    "missing_parts": "Missing parts or accessories",
    "wrong_item": "Wrong item received",
    "counterfeit": "Counterfeit item",
    "empty_parcel": "Empty package",
    "short_quantity": "Quantity is less than ordered",
    "duplicate_charge": "Charged twice",
}
#: the solution as radio buttons by their label; the amount as a box named so, holding
#: the amount paid, read-only when the package did not arrive [form-solution-amount]
FORM_SOLUTION_TEXTS = {"refund_only": "Refund only", "return_and_refund": "Return and refund"}
TEXT_FORM_AMOUNT = "Refund amount"
SEL_FORM_DESCRIPTION = 'textarea[class*="commet--textarea--"]'  # sic: "commet"
SEL_FORM_FILES = "input[type=file]"
#: a photo is part of the request only once its thumbnail shows the uploaded image
SEL_FORM_THUMB_DONE = '[class*="upload--imageThumb--"][style*="background-image"]'
TEXT_FORM_NEXT = "Next step"
SEL_FORM_SUBMIT = 'button[data-pl="buyersubmit_btn_submit"]'
SEL_FORM_CONFIRM_FOOTER = ".comet-v2-modal-footer"
TEXT_FORM_CONFIRM = "Confirm"
#: the dispute page's query parameter (the case's id)
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
