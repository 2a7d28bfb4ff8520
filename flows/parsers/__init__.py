"""Pure readers of the site's JSON and texts: no browser, no database, no I/O.

Why a package of small modules: when the site changes, the failing test names the one
place to fix. Every parser takes plain values (a decoded JSON envelope, a text) and
returns models from ``agent.core.models``; a required field that is missing raises
``PageChanged`` naming its path, and a value that cannot be read is ``None``, never 0.

    envelope   ret[0] result codes → typed errors
    sitetime   the site's clock (curTime / Date header)
    ultron     component graphs, in page order
    fields     path access with loud failures
    money      amounts and currencies (wraps price_parser)
    dates      date and date-time texts
    countdown  "closed in: 12 days 03:04:05" → timedelta
    texts      service promises, reminders and DOM label texts
    status     order status from codes, then labels
    orders     order list and order detail
    refunds    refund/dispute list
    disputes   dispute (reverse order) detail
    detect     which response a saved JSON is, parsed
"""
