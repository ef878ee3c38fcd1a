"""Break one product rule at a time and see whether the tests notice: a hand-written mutation audit.

    python -m tests.mutation_audit            # each mutation against the test files named for it
    python -m tests.mutation_audit --full     # each mutation against the whole suite (slow)
    python -m tests.mutation_audit --list     # the mutations and the rules they break
    python -m tests.mutation_audit role-account admin-on-submit   # only these

The working tree is copied to a scratch directory once; each mutation replaces one snippet of one file there, runs
pytest in the copy, and puts the snippet back, so the working tree is never touched. A mutation whose snippet is
no longer in its file is reported as stale (the code moved: update the snippet). Not part of the suite: pytest does
not collect this module, and it is slow by nature. Run it before a large refactoring; every mutation should be
caught.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.egg-info", "*.db", "*.db.key", ".pytest_cache"
)


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    original: str
    broken: str
    rule: str
    tests: tuple[str, ...]


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "role-account",
        "bolt_app/services/accounts.py",
        "        if caller_account != account_id:",
        "        if False and caller_account != account_id:",
        "GetCallerIdentity after AssumeRole must name the account being authorized",
        ("tests/listeners/test_accounts.py",),
    ),
    Mutation(
        "admin-on-authorize-submit",
        "bolt_app/services/accounts.py",
        '        await self.workspaces.require_admin(actor, "authorize AWS accounts")\n'
        "        account_id = parse_role_arn(role_arn)\n",
        "        account_id = parse_role_arn(role_arn)\n",
        "only admins may authorize an account, checked when the modal is submitted, not only when it opens",
        ("tests/listeners/test_accounts.py",),
    ),
    Mutation(
        "admin-on-audit",
        "bolt_app/services/audit_log.py",
        '        await self.workspaces.require_admin(viewer, "read the audit trail")\n',
        "",
        "only admins may read a channel's audit trail, with the command and with Next 20",
        ("tests/listeners/test_audit.py",),
    ),
    Mutation(
        "audit-session-name",
        "bolt_app/services/audited.py",
        '            session_name=None if outcome == "refused" else session_of(actor),\n',
        "            session_name=None,\n",
        "an audit row names the AssumeRole session CloudTrail recorded",
        ("tests/listeners/test_audit.py",),
    ),
    Mutation(
        "admin-on-configure-submit",
        "bolt_app/services/channels.py",
        '        await self.workspaces.require_admin(actor, "configure channels")\n'
        "        row = await self.prepare(actor, request)\n",
        "        row = await self.prepare(actor, request)\n",
        "only admins may configure a channel, checked when the modal is submitted, not only when it opens",
        ("tests/listeners/test_channels.py",),
    ),
    Mutation(
        "channel-role-acts",
        "listeners/views/cases.py",
        "    account = await account_of(passed.channels, context, passed.state.channel_id, form.account_id)\n",
        "    account = await account_of(passed.channels, context, passed.state.channel_id, form.account_id)\n"
        "    auth = await passed.channels.accounts.authorized(account.workspace, account.account_id)\n"
        "    account = __import__('dataclasses').replace(account, role_arn=auth.verified_role_arn)\n",
        "the channel's role creates the case, not the role that authorized the account",
        ("tests/listeners/test_cases.py",),
    ),
    Mutation(
        "events-token-whole-hash",
        "storage/notifications/events_tokens.py",
        "                        events_tokens.c.token_hash == token_hash\n"
        "                    )\n"
        "                )\n"
        "            ).first()\n"
        "        if row is None or not hmac.compare_digest(str(row.token_hash), token_hash):\n",
        "                        events_tokens.c.token_hash.startswith(token_hash[:8])\n"
        "                    )\n"
        "                )\n"
        "            ).first()\n"
        "        if row is None:\n",
        "an events token's hash matches whole, not by a prefix",
        ("tests/http/test_notifications.py",),
    ),
    Mutation(
        "events-token-every-character",
        "bolt_app/services/notifications/events_tokens.py",
        "    return hashlib.sha256(token.encode()).hexdigest()\n",
        "    return hashlib.sha256(token[:-1].encode()).hexdigest()\n",
        "every character of an events token counts",
        ("tests/http/test_notifications.py",),
    ),
    Mutation(
        "slack-retry-dropped",
        "bolt_app/app.py",
        "        return await drop_retries_after_timeout(req, then)\n",
        "        return await then()\n",
        "Slack's resend of a request after a timeout does not act twice",
        ("tests/listeners/test_cases.py",),
    ),
    Mutation(
        "create-once-per-view",
        "bolt_app/services/audited.py",
        "        if not await self.idempotency.claim(key):\n            raise DuplicateSubmission(duplicate)\n",
        "",
        "a submission that arrives twice (Slack's retry, a double click) opens one case",
        ("tests/listeners/test_cases.py", "tests/services/cases"),
    ),
    Mutation(
        "escape-summary-headline",
        "bolt_app/blocks/cases/messages.py",
        '        f"*Case {display_id(case)}: {cut(escape(case.subject), 300)}*\\n"\n',
        '        f"*Case {display_id(case)}: {cut(case.subject, 300)}*\\n"\n',
        "a case subject cannot mention or link in channel posts and notification roots",
        ("tests/blocks",),
    ),
    Mutation(
        "escape-notification-body",
        "bolt_app/blocks/notifications.py",
        "escape(shown).splitlines()",
        "shown.splitlines()",
        "a correspondence body cannot mention or link in a notification",
        ("tests/blocks",),
    ),
    Mutation(
        "escape-case-text",
        "bolt_app/blocks/cases/messages.py",
        '    return escape(\n        f"Case {display_id(case)}',
        '    return (\n        f"Case {display_id(case)}',
        "the top-level text of case messages (create, Share, refreshes, ephemerals) cannot mention or link",
        ("tests/blocks",),
    ),
    Mutation(
        "escape-quota-message",
        "bolt_app/blocks/quotas.py",
        '        ("Quota", f"{escape(request.quota_name)} (`{request.quota_code}`)"),',
        '        ("Quota", f"{request.quota_name} (`{request.quota_code}`)"),',
        "an AWS quota name cannot mention or link in the quota request message",
        ("tests/blocks",),
    ),
    Mutation(
        "worker-stores-before-delete",
        "bolt_app/notifications_worker.py",
        '            await self.notifications.ingest(event, source="sqs")\n',
        '            await self._delete([message])\n            await self.notifications.ingest(event, source="sqs")\n',
        "the worker deletes an SQS message only once its event is stored",
        (
            "tests/test_notifications_worker.py::test_a_message_whose_event_cannot_be_stored_stays_in_the_queue",
            "tests/test_notifications_worker.py::"
            "test_a_message_is_deleted_once_stored_and_a_bad_one_is_left_to_the_redrive_policy",
        ),
    ),
    Mutation(
        "role-session-names-the-user",
        "bolt_app/services/role_target.py",
        "    return session_name(actor.team_for_session, actor.user_id)\n",
        '    return session_name(actor.team_for_session, "app")\n',
        "every AssumeRole for a Slack user names that user in RoleSessionName (CloudTrail audit)",
        ("tests/services/test_accounts.py",),
    ),
    Mutation(
        "external-id-always-sent",
        "bolt_app/aws/sessions.py",
        "RoleSessionName=name, ExternalId=external_id, DurationSeconds",
        "RoleSessionName=name, DurationSeconds",
        "the workspace's External ID goes with every AssumeRole",
        ("tests/services/test_accounts.py",),
    ),
    Mutation(
        "details-show-the-cases-own-time",
        "bolt_app/blocks/cases/messages.py",
        '        ("Created", when(case.time_created)),\n',
        '        ("Created", when(case.recent[0].time_created if case.recent else case.time_created)),\n',
        "See details shows when the case was created, not when it was last answered",
        ("tests/blocks",),
    ),
    Mutation(
        "external-id-probe-refused",
        "bolt_app/services/accounts.py",
        "            raise explain(e, ctx) from e\n        raise UserFacingError(\n",
        "            raise explain(e, ctx) from e\n        return\n        raise UserFacingError(\n",
        "a role that accepts any External ID (confused deputy) is refused",
        ("tests/listeners/test_accounts.py",),
    ),
    Mutation(
        "five-workspaces-per-account",
        "bolt_app/services/accounts.py",
        "WORKSPACES_PER_ACCOUNT = 5\n",
        "WORKSPACES_PER_ACCOUNT = 6\n",
        "an account authorizes at most five workspaces",
        ("tests/services/test_accounts.py", "tests/listeners/test_accounts.py"),
    ),
    Mutation(
        "twenty-channels-per-account",
        "bolt_app/services/channels.py",
        "CONFIGURATIONS_PER_ACCOUNT = 20\n",
        "CONFIGURATIONS_PER_ACCOUNT = 21\n",
        "an account is attached to at most 20 channels",
        ("tests/services/test_channels.py",),
    ),
    Mutation(
        "events-of-the-tokens-account",
        "bolt_app/http/notifications.py",
        "        problem = sender_problem(event, account_id)\n",
        "        problem = None\n",
        "an events token sends events of its own account only",
        ("tests/http/test_notifications.py",),
    ),
    Mutation(
        "channel-accounts-per-workspace",
        "storage/channels.py",
        "        return await self._fetch(of_workspace(cc, key))\n",
        "        return await self._fetch(cc.team_id == key.team_id)\n",
        "a workspace lists only its own channel configurations (tenants never meet)",
        ("tests/services/test_channels.py",),
    ),
    Mutation(
        "pages-autoescape",
        "bolt_app/http/pages.py",
        "    autoescape=True,",
        "    autoescape=False,",
        "the install pages escape what Slack and users named (team names) before it reaches HTML",
        ("tests/http/test_pages.py",),
    ),
    Mutation(
        "template-link-signature",
        "bolt_app/signed_links.py",
        " or not hmac.compare_digest(mac.encode(), self._mac(text).encode()):",
        ":",
        "a role-template link is honoured only as the app signed it (no other workspace's ID in it)",
        ("tests/http/test_pages.py",),
    ),
    Mutation(
        "template-link-expiry",
        "bolt_app/signed_links.py",
        "        if int(expires) <= self.clock():",
        "        if int(expires) <= 0:",
        "a role-template link stops working when it expires",
        ("tests/http/test_pages.py",),
    ),
    Mutation(
        "deploy-named-iam",
        "bolt_app/http/pages.py",
        '"--capabilities CAPABILITY_NAMED_IAM",',
        '"--capabilities CAPABILITY_IAM",',
        "the deploy command acknowledges CAPABILITY_NAMED_IAM: the template names the role",
        ("tests/http/test_pages.py",),
    ),
    Mutation(
        "csp-script-hash",
        "bolt_app/http/security_headers.py",
        '        f"script-src {_sha256(SCRIPT)}",\n',
        "",
        "the copy buttons' script runs under the strict CSP because its hash is allowed",
        ("tests/http/test_pages_browser.py",),
    ),
    Mutation(
        "pages-narrow-screens",
        "bolt_app/templates/pages.css",
        "code{padding:0 .2rem;overflow-wrap:anywhere}",
        "code{padding:0 .2rem}",
        "the success page reads at 390 px without sideways scrolling",
        ("tests/http/test_pages_browser.py",),
    ),
    Mutation(
        "aws-budget-pacing",
        "bolt_app/aws/budget.py",
        "        if not self._queue and now >= self._next_at:",
        "        if True:",
        "calls of one account start no faster than AWS's rate (5 per second for Support)",
        ("tests/aws/test_budget.py", "tests/listeners/test_surge.py"),
    ),
    Mutation(
        "aws-single-flight",
        "bolt_app/aws/budget.py",
        "        flight = self._flights.get(key)\n",
        "        flight = None\n",
        "identical reads in flight are made once",
        ("tests/aws/test_budget.py", "tests/listeners/test_surge.py"),
    ),
    Mutation(
        "aws-write-resent-after-lost-answer",
        "bolt_app/aws/budget.py",
        "not (throttled or (transient and not write))",
        "not (throttled or transient)",
        "a write is resent only after AWS said it throttled, never after a lost answer",
        ("tests/aws/test_budget.py", "tests/services/cases/test_service.py"),
    ),
    Mutation(
        "create-case-not-looked-for",
        "bolt_app/services/cases/service.py",
        "                existing = await _find_created(support, params, started)",
        "                existing = None",
        "a CreateCase whose answer was lost is looked for before it is sent again",
        ("tests/services/cases/test_service.py",),
    ),
    Mutation(
        "member-rule-in-service",
        "bolt_app/services/audited.py",
        "            if rule is not None:\n                await self.members.require(channel, actor, rule)\n",
        "",
        "the channel's member policy refuses an action in the service, whatever the form showed",
        ("tests/listeners/test_member_policy.py", "tests/services/quotas/test_service.py"),
    ),
    Mutation(
        "deferred-create-looks-first",
        "bolt_app/services/cases/service.py",
        "                    case_id = await _find_created(support, params, since)\n",
        "                    case_id = None\n",
        "a deferred case whose CreateCase was sent without its ID recorded is looked for before it is sent again",
        ("tests/services/cases/test_deferred.py",),
    ),
    Mutation(
        "deferred-posting-at-most-once",
        "bolt_app/services/cases/deferred.py",
        "        if row.posted_ts is None:\n",
        "        if not row.posted_ts:\n            row = __import__('dataclasses').replace(row, posting_at=None)\n",
        "a deferred case whose post was under way when its drainer died is not posted again",
        ("tests/services/cases/test_deferred.py",),
    ),
    Mutation(
        "member-severity-ceiling",
        "bolt_app/services/cases/service.py",
        "            await self.members.require_severity(channel, actor, new.severity_code, SEVERITY_BLOCK)\n"
        "            async with self._actions.claimed(\n",
        "            async with self._actions.claimed(\n",
        "a severity above the channel's ceiling is refused by the service, not only hidden in the form",
        ("tests/listeners/test_member_policy.py",),
    ),
    Mutation(
        "member-group-event",
        "bolt_app/services/member_rules.py",
        "        for key in [k for k in self._groups if k[1] == group_id]:\n",
        "        for key in []:\n",
        "a user group's change event takes effect on the next action, not when the cache expires",
        ("tests/listeners/test_member_policy.py",),
    ),
)


def _run(mutation: Mutation, scratch: Path, full: bool, workers: str) -> tuple[str, float, str]:
    """(outcome, seconds, the first failing test)."""
    path = scratch / mutation.file
    source = path.read_text()
    if source.count(mutation.original) != 1:
        return "stale", 0.0, ""
    tests = [] if full else list(mutation.tests)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "--timeout", "300", *tests]
    if workers != "0":
        command += ["-n", workers]
    env = os.environ | {"PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    path.write_text(source.replace(mutation.original, mutation.broken))
    try:
        result = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True)
    finally:
        path.write_text(source)
    outcome = {0: "SURVIVED", 1: "caught"}.get(result.returncode, f"error (pytest exit {result.returncode})")
    failed = next(
        (
            line.removeprefix("FAILED ").split(" - ")[0]
            for line in result.stdout.splitlines()
            if line.startswith("FAILED ")
        ),
        "",
    )
    return outcome, time.monotonic() - started, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="run only these mutations")
    parser.add_argument("--full", action="store_true", help="run the whole suite for each mutation")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "-n", dest="workers", default="0", help="pytest-xdist workers per run (default: none)"
    )
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    unknown = set(args.names) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutation(s): {', '.join(sorted(unknown))}")
    if args.list:
        for m in chosen:
            print(f"{m.name:28} {m.file}: {m.rule}")
        return 0
    outcomes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="mutation-audit-") as tmp:
        scratch = Path(tmp) / "tree"
        shutil.copytree(ROOT, scratch, ignore=SKIP)
        for m in chosen:
            outcome, seconds, failed = _run(m, scratch, args.full, args.workers)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            print(f"{outcome:10} {m.name:28} {seconds:6.1f}s  {m.rule}", flush=True)
            if failed:
                print(f"{'':10} {'':28} by {failed}", flush=True)
    caught = outcomes.get("caught", 0)
    print(
        f"\n{caught}/{len(chosen)} caught"
        + "".join(f", {n} {k}" for k, n in outcomes.items() if k != "caught")
    )
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
