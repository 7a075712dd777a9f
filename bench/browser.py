"""Largest contentful paint of signed-in pages, measured in headless Chromium.

Launches Debian's Chromium the way the browser tests do (e2e/conftest.py: same executable, same
flags, a zh-CN context of 1280×800) and signs in through the login form as a person would.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The flags of e2e/conftest.py.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Buffered LCP entries arrive in a later task, so the promise waits two frames plus a short
# timer after the observer is registered; the last entry is the page's largest paint so far.
READ_PAINT = """
() => new Promise((resolve) => {
  let lcp = null;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) lcp = entry.startTime;
  });
  observer.observe({ type: "largest-contentful-paint", buffered: true });
  const finish = () => {
    observer.disconnect();
    const nav = performance.getEntriesByType("navigation")[0];
    resolve({
      lcp: lcp,
      responseEnd: nav ? nav.responseEnd : null,
      domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
      load: nav ? nav.loadEventEnd : null,
    });
  };
  // Two frames after the load the paint is normally reported; on a busy machine its entry can
  // come later, so a load without one waits for it (up to WAIT ms) rather than reporting none.
  const started = performance.now();
  const settle = () => {
    if (lcp !== null || performance.now() - started > WAIT) finish();
    else setTimeout(settle, 50);
  };
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(settle, 50)));
})
""".replace("WAIT", "3000")


def sign_in(page: Page, base_url: str, *, username: str, password: str, grant: str | None = None) -> None:
    """Sign in through /login/; with `grant`, switch to the grant whose label (as in the header's
    switcher, e.g. "支部书记 · 翠湖社区第一党支部") contains that text."""
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    if "/login/" in page.url or "/account/2fa/" in page.url:
        raise RuntimeError(f"sign-in as {username!r} did not reach the site (now at {page.url})")
    if grant is not None:
        page.goto(f"{base_url}/")
        button = page.locator("form[action$='/account/grant/'] button", has_text=grant)
        if button.count() == 0:
            raise RuntimeError(f"{username!r} has no grant labelled {grant!r}")
        page.locator("#grant-switcher").click()
        with page.expect_navigation():
            button.first.click()


def _measure(page: Page, url: str) -> dict[str, Any]:
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200 or response.request.redirected_from is not None:
        status = response.status if response else None
        raise RuntimeError(f"{url} answered {status} and ended at {page.url}")
    return page.evaluate(READ_PAINT)


def _seconds(values: list[float | None]) -> dict[str, float | None]:
    known = [value / 1000 for value in values if value is not None]
    if not known:
        return {"median": None, "max": None}
    return {"median": round(statistics.median(known), 3), "max": round(max(known), 3)}


def largest_paint(
    base_url: str,
    *,
    username: str,
    password: str,
    paths: dict[str, str],
    runs: int = 5,
    grant: str | None = None,
    timeout_ms: int = 30_000,
) -> dict[str, Any]:
    """Sign in as `username`, then load each named path once to warm up and `runs` times more,
    reading the largest contentful paint of every load.

    Returns {name: {"path", "lcp_median_s", "lcp_max_s", "response_end_median_s",
    "response_end_max_s", "load_median_s", "runs": [{"lcp_s", "response_end_s", "load_s"}, ...]}}.
    Times are from the navigation's start. A page that does not answer 200 at its own address
    (a redirect to the login page, a 403) raises RuntimeError.
    """
    if not CHROMIUM.exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}")
    base_url = base_url.rstrip("/")
    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.set_default_timeout(timeout_ms)
            page = context.new_page()
            sign_in(page, base_url, username=username, password=password, grant=grant)
            for name, path in paths.items():
                url = f"{base_url}{path}"
                _measure(page, url)  # warm-up: caches, connections, the worker's first hit
                samples = [_measure(page, url) for _ in range(runs)]
                lcp = _seconds([sample["lcp"] for sample in samples])
                response_end = _seconds([sample["responseEnd"] for sample in samples])
                load = _seconds([sample["load"] for sample in samples])
                results[name] = {
                    "path": path,
                    "lcp_median_s": lcp["median"],
                    "lcp_max_s": lcp["max"],
                    "response_end_median_s": response_end["median"],
                    "response_end_max_s": response_end["max"],
                    "load_median_s": load["median"],
                    "runs": [
                        {
                            "lcp_s": None if sample["lcp"] is None else round(sample["lcp"] / 1000, 3),
                            "response_end_s": round(sample["responseEnd"] / 1000, 3),
                            "load_s": round(sample["load"] / 1000, 3),
                        }
                        for sample in samples
                    ],
                }
            context.close()
        finally:
            browser.close()
    return results
