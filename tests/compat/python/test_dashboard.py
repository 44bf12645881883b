"""The live dashboard (/_emulator/ui) driven in a real headless Chromium through Selenium.

Needs Debian's `chromium` and `chromium-driver` (scripts/test installs them with apt where it
can) and the `selenium` package; without them the module is skipped, saying what is missing.
Set DASHBOARD_SCREENSHOTS=<dir> to save a PNG of each view (docs/dashboard-*.png come from it).
"""

import concurrent.futures
import json
import os
import shutil
import socket
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from gl_support import FLEET_EC2, advance_clock, http, running_emulator

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - reported as a skip
    webdriver = None

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if webdriver is None or not CHROMIUM or not CHROMEDRIVER:
    pytest.skip(
        "dashboard browser test skipped: needs the selenium package and Debian's chromium and "
        f"chromium-driver (selenium: {webdriver is not None}, chromium: {CHROMIUM}, chromedriver: {CHROMEDRIVER}); "
        "install them with `apt-get install chromium chromium-driver`",
        allow_module_level=True,
    )

EMULATOR_FLAGS = ("--clock", "paused", "--player-session-timeout", "60s")
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")
BIG = 100_000


def make_browser():
    profile = tempfile.mkdtemp(prefix="gl-dashboard-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver, profile


@pytest.fixture(scope="module")
def browser():
    driver, profile = make_browser()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver, what, probe, timeout=10):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: probe(d))
    except Exception as e:  # TimeoutException: say what was awaited
        pytest.fail(f"the dashboard did not show {what} within {timeout} s ({type(e).__name__})")


def cell_text(driver, table, row_id, cls):
    """The text of a row's cell, read in one script call (the page replaces rows as it updates)."""
    return driver.execute_script(
        "const r = [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].find(r => r.dataset.id === arguments[1]);"
        "const c = r && r.querySelector('td.' + arguments[2]); return c ? c.textContent : null;",
        table, row_id, cls)


def click_in_row(driver, table, row_id, button):
    """Clicks a button of a row, as a user would (focus and click, by script to survive re-renders)."""
    def attempt(d):
        return d.execute_script(
            "const r = [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].find(r => r.dataset.id === arguments[1]);"
            "const b = r && r.querySelector('button.' + arguments[2]); if (!b) return false;"
            "setTimeout(() => { b.focus(); b.click(); }, 0); return true;",
            table, row_id, button)
    wait(driver, f"the {button} button of {row_id}", attempt)


def shot(driver, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"dashboard-{name}.png"))


def open_view(driver, base, view):
    driver.get(f"{base}/_emulator/ui#{view}")
    wait(driver, "its first render", lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"))
    wait(driver, "the live stream connected", lambda d: "live" == d.find_element(By.ID, "live").text)


def test_sessions_appear_change_and_end_live(gl, module_endpoint, browser):
    # A browser's GET / lands on the dashboard.
    browser.get(module_endpoint + "/")
    assert browser.current_url.endswith("/_emulator/ui"), browser.current_url
    open_view(browser, module_endpoint, "sessions")
    browser.execute_script("window.__noReload = 42")

    gs = gl.create_game_session(FleetId=FLEET_EC2, MaximumPlayerSessionCount=4)["GameSession"]
    gid = gs["GameSessionId"]
    assert wait(browser, "the new game session", lambda d: cell_text(d, "sessions", gid, "status")) == "ACTIVATING"
    advance_clock(module_endpoint, 1)
    wait(browser, "the session turn ACTIVE", lambda d: cell_text(d, "sessions", gid, "status") == "ACTIVE")

    if SCREENSHOTS:
        open_view(browser, module_endpoint, "fleets")
        shot(browser, "fleets")
        open_view(browser, module_endpoint, "sessions")
        browser.execute_script("window.__noReload = 42")

    # A player session times out when the clock is advanced from the UI.
    ps = gl.create_player_session(GameSessionId=gid, PlayerId="player-1")["PlayerSession"]
    click_in_row(browser, "sessions", gid, "players")
    pid = ps["PlayerSessionId"]
    assert wait(browser, "the player session", lambda d: cell_text(d, "player-sessions", pid, "status")) == "RESERVED"
    shot(browser, "sessions")
    field = browser.find_element(By.ID, "advance-seconds")
    field.clear()
    field.send_keys("61")
    browser.find_element(By.ID, "advance").click()
    wait(browser, "the player session time out", lambda d: cell_text(d, "player-sessions", pid, "status") == "TIMEDOUT")
    got = gl.describe_player_sessions(PlayerSessionId=pid)["PlayerSessions"][0]
    assert got["Status"] == "TIMEDOUT"
    assert "Advanced the clock by 61 s" in browser.find_element(By.ID, "notice").text

    # Terminate from the UI (confirmed in a dialog), then see it TERMINATED through the API.
    click_in_row(browser, "sessions", gid, "terminate")
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    assert gid in alert.text
    alert.accept()
    wait(browser, "the session TERMINATING", lambda d: cell_text(d, "sessions", gid, "status") in ("TERMINATING", "TERMINATED"))
    field = browser.find_element(By.ID, "advance-seconds")
    field.clear()
    field.send_keys("60")
    browser.find_element(By.ID, "advance").click()
    wait(browser, "the session TERMINATED", lambda d: cell_text(d, "sessions", gid, "status") == "TERMINATED")
    assert gl.describe_game_sessions(GameSessionId=gid)["GameSessions"][0]["Status"] == "TERMINATED"
    assert browser.execute_script("return window.__noReload") == 42, "the page reloaded"

    if SCREENSHOTS:
        for view in ("processes", "aliases", "queues", "events"):
            open_view(browser, module_endpoint, view)
            shot(browser, view)


def test_matchmaking_view_follows_tickets_live(gl, module_endpoint, browser):
    rules = {"ruleLanguageVersion": "1.0", "teams": [{"name": "duo", "minPlayers": 2, "maxPlayers": 2}]}
    gl.create_matchmaking_rule_set(Name="ui-rules", RuleSetBody=json.dumps(rules))
    gl.create_matchmaking_configuration(
        Name="ui-cfg", RuleSetName="ui-rules", RequestTimeoutSeconds=120,
        AcceptanceRequired=False, FlexMatchMode="STANDALONE",
    )
    gl.start_matchmaking(TicketId="ui-t1", ConfigurationName="ui-cfg", Players=[{"PlayerId": "p1"}])
    open_view(browser, module_endpoint, "matchmaking")
    browser.execute_script("window.__noReload = 7")
    view = lambda d: d.find_element(By.ID, "matchmaking").text  # noqa: E731
    wait(browser, "the configuration and its waiting ticket", lambda d: "ui-cfg" in view(d) and "ui-t1" in view(d))
    shot(browser, "matchmaking")
    gl.start_matchmaking(TicketId="ui-t2", ConfigurationName="ui-cfg", Players=[{"PlayerId": "p2"}])
    wait(browser, "the match completing both tickets", lambda d: "COMPLETED 2" in view(d))
    assert "No ticket in play." in view(browser)
    assert browser.execute_script("return window.__noReload") == 7, "the page reloaded"


def big_fixtures(path):
    """The default fixtures plus one fleet with room for 100,000 game sessions."""
    default = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "default.json").read_text())
    big = json.loads(json.dumps(default["Fleets"][0]))
    big["FleetId"] = "fleet-00000000-0000-4000-8000-0000000000b1"
    big["Name"] = "big"
    big["Description"] = "2,000 instances x 50 game sessions"
    big["Locations"] = [{"Location": "us-east-1", "DesiredInstances": 2000}]
    big["RuntimeConfiguration"]["ServerProcesses"][0]["ConcurrentExecutions"] = 50
    big["EC2InboundPermissions"][0]["ToPort"] = big["EC2InboundPermissions"][0]["FromPort"] + 49
    default["Fleets"].append(big)
    path.write_text(json.dumps(default))
    return big["FleetId"]


def create_pipelined(host, port, body, count, batch=1000):
    """Sends `count` CreateGameSession requests over one keep-alive connection, `batch` at a
    time without waiting between them (HTTP/1.1 pipelining), and checks every answer is a 200."""
    request = (
        f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nX-Amz-Target: GameLift.CreateGameSession\r\n"
        f"Content-Type: application/x-amz-json-1.1\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host, port), timeout=60) as sock:
        buf = b""
        done = 0
        while done < count:
            n = min(batch, count - done)
            sock.sendall(request * n)
            for _ in range(n):
                while b"\r\n\r\n" not in buf:
                    chunk = sock.recv(1 << 20)
                    assert chunk, f"connection closed after {done} answers"
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                status = head.split(b" ", 2)[1]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buf) < length:
                    chunk = sock.recv(1 << 20)
                    assert chunk, f"connection closed after {done} answers"
                    buf += chunk
                assert status == b"200", (done, head, buf[:length])
                buf = buf[length:]
                done += 1


def test_100k_sessions_open_fast_and_stay_responsive(tmp_path, browser):
    fleet = big_fixtures(tmp_path / "big.json")
    with running_emulator("--fixtures", str(tmp_path / "big.json"), "--clock", "paused") as base:
        host, port = urllib.parse.urlsplit(base).netloc.split(":")
        body = json.dumps({"FleetId": fleet, "MaximumPlayerSessionCount": 8}).encode()
        started = time.monotonic()
        # Two connections, one per core, each pipelining its half.
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for f in [pool.submit(create_pipelined, host, int(port), body, BIG // 2) for _ in range(2)]:
                f.result()
        created_s = time.monotonic() - started
        print(f"\ndashboard: created {BIG} game sessions over two keep-alive connections (pipelined) in {created_s:.1f} s")
        assert created_s < 120, f"creating {BIG} sessions took {created_s:.1f} s"
        advance_clock(base, 1)

        t0 = time.monotonic()
        browser.get(base + "/_emulator/ui#sessions")
        wait(browser, "its first render", lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"), timeout=30)
        first_render_s = time.monotonic() - t0
        in_page_ms = int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"))
        info = browser.find_element(By.ID, "page-info").text
        print(f"dashboard: time to first render with {BIG} live sessions: {first_render_s * 1000:.0f} ms "
              f"(navigation start to rendered rows: {in_page_ms} ms); pager shows '{info}'")
        assert f"of {BIG}" in info, info
        rows = browser.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")
        assert len(rows) == 50
        assert first_render_s < 10, f"first render took {first_render_s:.1f} s"

        # Responsive: the next page and a status filter answer quickly; the main thread is free.
        t1 = time.monotonic()
        browser.find_element(By.ID, "next-page").click()
        wait(browser, "page 2", lambda d: d.find_element(By.ID, "page-info").text.startswith("51–100 of"))
        Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("ACTIVE")
        browser.find_element(By.CSS_SELECTOR, "#session-filter button[type=submit]").click()
        wait(browser, "the filtered list", lambda d: d.find_element(By.ID, "page-info").text == f"1–50 of {BIG}")
        interaction_s = time.monotonic() - t1
        script_ms = browser.execute_script("const t = performance.now(); return performance.now() - t;")
        print(f"dashboard: next page + status filter over {BIG} sessions: {interaction_s * 1000:.0f} ms")
        assert interaction_s < 10
        assert script_ms < 100
        status, _, _ = http("GET", base + "/_emulator/health")
        assert status == 200
