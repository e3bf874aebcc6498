"""The live dashboard: a web page served by the running brain (FastAPI on uvicorn, on a thread of
its own) with live updates over a WebSocket and charts by Lightweight Charts, and operator
controls that go through the brain's authenticated control endpoint like the CLI's.

* ``feed``: on the brain's thread, at quiet moments, the state the brain already has turned into
  updates (JSON text); the only module that reads the brain's objects.
* ``hub``: on the web thread, the updates merged into the history a page opening late gets, and
  sent to every connected page.
* ``access``: tokens, sessions, CSRF and where the dashboard may listen.
* ``app``: the pages and endpoints; ``serve``: uvicorn on its own thread.

May import bridge.live (the server's public face), bridge.brain, bridge.core and bridge.web;
nothing imports it but the runner and the CLI."""
