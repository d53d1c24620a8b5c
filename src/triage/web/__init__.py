"""The intake team's web page and JSON API (``triage serve``).

``create_app(WebSettings(...))`` builds the FastAPI app: the queue, the
notice page with its explanation and rules, the decision form, and the JSON
API, behind a login. Importing this package stays light; FastAPI is loaded
by ``triage.web.app``.

Layer: applications (above ``triage.decisions``, below ``triage.cli``). May import every
layer below it.
"""
