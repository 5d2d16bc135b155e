"""The auditors' page in a real browser (headless Chromium through Selenium).

Signs in with a token, moves the time slider and checks the grid against
`syncledger status --as-of`, filters the audit trail and checks it against
`syncledger audit`, follows an explanation to its event, downloads the grid
as CSV and checks the file, and writes a screenshot of each view.

    python browser_test.py --url URL --token TOKEN --db FILE --binary SYNCLEDGER --screenshots DIR
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

GRID = ["mailbox", "environment", "owner", "emailAddress", "serverProfile", "incomingStatus",
        "outgoingStatus", "actStatus", "emailStatus", "approvedBy"]
AUDIT = ["position", "recordedAt", "actor", "action", "eventType", "object", "outcome", "refusalCode"]


def cli(args, binary, db):
    out = subprocess.run([binary] + args + ["--db", db, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def cell(value):
    return "—" if value is None else str(value)


def table_rows(driver, selector):
    rows = []
    for tr in driver.find_elements(By.CSS_SELECTOR, selector + " tbody tr"):
        rows.append([td.text for td in tr.find_elements(By.TAG_NAME, "td")])
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshots", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    downloads = tempfile.mkdtemp(prefix="syncledger-downloads-")

    options = Options()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    wait = WebDriverWait(driver, 20)
    failures = []

    def check(condition, message):
        print(("ok: " if condition else "FAILED: ") + message)
        if not condition:
            failures.append(message)

    try:
        # Sign in.
        driver.get(args.url)
        driver.find_element(By.ID, "token").send_keys(args.token)
        driver.find_element(By.ID, "signin-button").click()
        wait.until(EC.visibility_of_element_located((By.ID, "app")))
        wait.until(lambda d: "erin@contoso.com" in d.find_element(By.ID, "who").text)
        check(driver.find_element(By.ID, "who").text == "erin@contoso.com (auditor)", "signed in as the token's user and scope")
        head = json.loads(subprocess.run([args.binary, "log", "head", "--db", args.db, "--json"], check=True,
                                         capture_output=True, text=True).stdout)["position"]
        wait.until(lambda d: d.find_element(By.ID, "resolved").text == f"showing the ledger as of #{head}")
        driver.find_element(By.ID, "verify").click()
        wait.until(lambda d: d.find_element(By.ID, "verified").text.startswith(("✓", "✗")))
        check(driver.find_element(By.ID, "verified").text == f"✓ chain intact: {head} events, head #{head}", "the verify badge walks the chain")
        driver.save_screenshot(os.path.join(args.screenshots, "grid.png"))

        # The slider: every position we try shows what `status --as-of` says.
        grids = {}
        for position in sorted({max(1, head // 4), head // 2, (3 * head) // 4}):
            driver.execute_script(
                "const s = document.getElementById('slider'); s.value = arguments[0]; s.dispatchEvent(new Event('input'));", position)
            wait.until(lambda d: d.find_element(By.ID, "resolved").text == f"showing the ledger as of #{position}")
            shown = table_rows(driver, "#grid")
            expected = [[cell(row.get(c)) for c in GRID] for row in cli(["status", "--as-of", f"#{position}"], args.binary, args.db)[:100]]
            check(shown == expected, f"the grid at #{position} is `status --as-of '#{position}'` ({len(expected)} rows)")
            grids[position] = shown
        check(len({json.dumps(g) for g in grids.values()}) > 1, "moving the slider changed the grid")

        # Mark the last slider point, go to the head, and diff the two.
        marked = max(grids)
        driver.find_element(By.ID, "mark").click()
        driver.execute_script("document.getElementById('latest').click()")
        wait.until(lambda d: d.find_element(By.ID, "resolved").text == f"showing the ledger as of #{head}")
        driver.find_element(By.ID, "diff").click()
        wait.until(EC.presence_of_element_located((By.ID, "diff-table")))
        changes = [[d["table"], d["key"], d["kind"], c["field"], cell(c.get("before")), cell(c.get("after"))]
                   for d in cli(["diff", "--from", f"#{marked}", "--to", f"#{head}"], args.binary, args.db) for c in d["changes"]]
        check(table_rows(driver, "#diff-table") == changes and len(changes) > 0,
              f"the diff from #{marked} to #{head} is `diff --from '#{marked}'` ({len(changes)} changes)")
        driver.save_screenshot(os.path.join(args.screenshots, "diff.png"))

        # Explain a cell, then follow the link to its event.
        first = driver.find_element(By.CSS_SELECTOR, "#grid tbody tr")
        mailbox = first.get_attribute("data-mailbox")
        first.find_element(By.CSS_SELECTOR, "td[data-field=emailStatus]").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#explain li a.event-link")))
        explained = cli(["explain", mailbox, "--field", "email_status"], args.binary, args.db)
        links = driver.find_elements(By.CSS_SELECTOR, "#explain li a.event-link")
        check([int(a.get_attribute("data-position")) for a in links] == [s["position"] for s in explained["steps"]],
              f"the explanation of {mailbox}'s email status lists the events `explain` names")
        links[-1].click()
        wait.until(EC.presence_of_element_located((By.ID, "event-json")))
        event = json.loads(driver.find_element(By.ID, "event-json").text)
        check(event["position"] == explained["steps"][-1]["position"], "the explain link opens the event that set the value")
        driver.save_screenshot(os.path.join(args.screenshots, "explain.png"))

        # Download what the grid shows as CSV.
        driver.find_element(By.ID, "grid-csv").click()
        path = os.path.join(downloads, f"grid-{head}.csv")
        for _ in range(100):
            if os.path.exists(path) and not os.path.exists(path + ".crdownload"):
                break
            time.sleep(0.1)
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
        shown = table_rows(driver, "#grid")
        check(rows[0] == GRID and [[v if v else "—" for v in r] for r in rows[1:]] == shown, "the CSV download holds the grid as shown")

        # Alerts.
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=alerts]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#alerts thead th"))
        alerts = cli(["alerts"], args.binary, args.db)
        wait.until(lambda d: len(table_rows(d, "#alerts")) == len(alerts))
        check(len(table_rows(driver, "#alerts")) == len(alerts), f"the alerts wall shows the {len(alerts)} alerts `alerts` lists")
        driver.save_screenshot(os.path.join(args.screenshots, "alerts.png"))

        # The audit trail, filtered by event type, then denied only.
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=audit]").click()
        wait.until(lambda d: table_rows(d, "#audit"))
        box = driver.find_element(By.CSS_SELECTOR, "#audit-form input[name=eventType]")
        box.send_keys("MailboxEmailApproved")
        driver.find_element(By.ID, "audit-apply").click()
        expected = cli(["audit", "--event-type", "MailboxEmailApproved"], args.binary, args.db)
        wanted = [[str(r[c]) if r.get(c) is not None else "" for c in AUDIT] for r in reversed(expected)][:100]
        try:
            wait.until(lambda d: table_rows(d, "#audit") == wanted)
        except Exception:
            print("shown:", table_rows(driver, "#audit")[:3], "\nwanted:", wanted[:3])
        check(table_rows(driver, "#audit") == wanted and len(wanted) > 0,
              f"the audit trail filtered to MailboxEmailApproved is `audit --event-type` newest first ({len(wanted)} rows)")
        box.clear()
        driver.find_element(By.CSS_SELECTOR, "#audit-form input[name=deniedOnly]").click()
        driver.find_element(By.ID, "audit-apply").click()
        denied = cli(["audit", "--denied"], args.binary, args.db)
        wait.until(lambda d: len(table_rows(d, "#audit")) == min(100, len(denied)))
        check(all(row[6] == "denied" for row in table_rows(driver, "#audit")) and len(denied) > 0,
              f"denied only shows the {len(denied)} audited denials")
        driver.save_screenshot(os.path.join(args.screenshots, "audit.png"))
    finally:
        driver.quit()
    if failures:
        print(f"{len(failures)} browser check(s) failed")
        sys.exit(1)
    print("browser tests passed")


if __name__ == "__main__":
    main()
