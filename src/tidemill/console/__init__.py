"""The web console's built assets (issue 15): `static/` holds what `make console` builds from
the npm project in the repository's top-level `console/` directory. They ship inside the
package, so a server installed without Node serves the console at `/console`."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
