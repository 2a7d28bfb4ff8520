"""The page: what the command line shows and does, from a browser on a phone.

``app.create_app`` builds the Starlette application; its security is middleware
(``middleware``), so a route added later (``extra_routes``) is behind it without a line
of its own. Pages read the same view models as the command line and act through the
same use cases under the same browser lock; starlette and uvicorn are imported only
here, never by the command line's start.
"""
