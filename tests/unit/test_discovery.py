"""Discovery of routes nobody declared: the catalogue's candidates, seed words in context, existence judged against a
control (never "absent" when it cannot tell), a bounded survey over real HTTP, and what an unsigned probe proves."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from cutover_gate.checks import discovery, footprint, unsigned
from cutover_gate.checks.canary import Balance
from cutover_gate.config import route_catalogue
from cutover_gate.config.profile_schema import Webhooks
from cutover_gate.config.target_profile import Profile, load_profile
from cutover_gate.core.reasons import Reason
from cutover_gate.target.client import Exchange, Response, TargetClient

ROOT = Path(__file__).resolve().parents[2]
PROFILE = load_profile(None)
ALT = load_profile(ROOT / "fixtures" / "profiles" / "alt.toml")


def profile_with(**discovery_section: object) -> Profile:
    data = {**PROFILE.data, "discovery": {**PROFILE.data["discovery"], **discovery_section}}
    return Profile("test", data)


@pytest.mark.parametrize(("path", "seed"), [
    ("/api/v1/ci/seed", True), ("/api/v1/test/reset", True), ("/api/v1/test/seed", True),
    ("/api/v1/debug/reset-wallets", True), ("/api/v1/admin/bootstrap", True), ("/api/v1/seed-data", True),
    ("/api/v1/fixtures", True), ("/dev/reset", True),
    ("/api/v1/auth/reset-password", False), ("/api/v1/auth/request-password-reset", False),
    ("/api/v1/admin/notifications/test", False), ("/api/v1/player/wallet/deposit", False),
    ("/api/v1/payments/test-mode", False), ("/api/v1/kyc/documents/{player_id}/review", False),
])
def test_seed_words_match_whole_segments_in_context(path: str, seed: bool) -> None:
    assert route_catalogue.seed_like(path, PROFILE) is seed


def test_the_alt_dialects_prefix_is_its_own() -> None:
    assert route_catalogue.prefixes(ALT)[0] == "/v2"
    assert route_catalogue.seed_like("/v2/ops/debug/reset-funds", ALT)
    assert route_catalogue.seed_like("/v2/ci/seed", ALT)
    assert not route_catalogue.seed_like("/v2/members/reset-password", ALT)


def test_prefixes_come_from_the_profiles_calls_longest_first() -> None:
    # the application's calls, not the plumbing (/api/health, /metrics), and the root
    assert route_catalogue.prefixes(PROFILE) == ["/api/v1", ""]
    assert "/internal/api" in route_catalogue.prefixes(profile_with(prefixes=["/internal/api/"]))


def test_provider_is_filled_with_route_names_the_builtin_list_and_the_profiles() -> None:
    names = route_catalogue.providers(profile_with(providers=["Iyzico"]))
    assert names[:3] == ["payout", "adyen", "stripe"]
    assert {"paypal", "mollie", "checkout", "braintree", "worldpay", "mock", "test", "iyzico"} <= set(names)
    hooks = route_catalogue.callback_candidates(PROFILE)
    assert "/api/v1/payments/webhook/paypal" in hooks and "/webhooks/stripe" in hooks
    assert all("{" not in h for h in hooks)


def test_other_path_parameters_take_the_profiles_values_or_stay_unfilled() -> None:
    filled, unfilled = route_catalogue.fill_parameters("/api/{tenant}/psp/{gateway}/notify",
                                                       profile_with(path_values={"tenant": ["eu", "tr"]}))
    assert not unfilled and "/api/tr/psp/adyen/notify" in filled and len(filled) == 2 * 10
    assert route_catalogue.fill_parameters("/api/{tenant}/notify", PROFILE) == ([], ["tenant"])


def test_profile_routes_are_added_under_every_prefix_or_as_given() -> None:
    seed = route_catalogue.seed_candidates(profile_with(seed_routes=["ops/seed", "/internal/seed-all"]))
    assert {"/api/v1/ops/seed", "/ops/seed", "/internal/seed-all"} <= set(seed)
    assert route_catalogue.seed_candidates(profile_with(catalogue=False)) == []


@pytest.mark.parametrize(("status", "control", "state"), [
    (404, 404, "absent"), (410, 404, "absent"), (405, 404, "mounted"), (401, 404, "mounted"), (200, 404, "mounted"),
    (200, 200, "cannot_tell"), (401, 401, "cannot_tell"), (405, 200, "mounted"), (404, 200, "absent"),
    (None, 404, "cannot_tell"), (405, None, "mounted"),
])
def test_existence_is_judged_against_an_unknown_path(status: int | None, control: int | None, state: str) -> None:
    assert discovery.judge("/x", status, control, "reset").state == state


class Server:
    """A loopback HTTP server whose OPTIONS answer is `answer(path)`; it counts requests and the most in flight."""

    def __init__(self, answer: Callable[[str], int], delay_s: float = 0.0) -> None:
        self.answer, self.delay_s = answer, delay_s
        self.requests: list[tuple[str, str, int]] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                with outer.lock:
                    outer.in_flight += 1
                    outer.most_in_flight = max(outer.most_in_flight, outer.in_flight)
                time.sleep(outer.delay_s)
                length = int(self.headers.get("Content-Length") or 0)
                with outer.lock:
                    outer.requests.append((self.command, self.path, length))
                    outer.in_flight -= 1
                status = outer.answer(self.path) if self.path != "/api/health" else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_OPTIONS = do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Server:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def routed() -> Iterator[Server]:
    mounted = {"/api/v1/ci/seed", "/api/v1/payments/webhook/paypal"}
    with Server(lambda path: 405 if path in mounted else 404, delay_s=0.01) as server:
        yield server


def test_a_survey_finds_what_is_mounted_bodiless_and_within_its_bounds(routed: Server) -> None:
    target = TargetClient(routed.url, PROFILE)
    paths = route_catalogue.seed_candidates(PROFILE) + route_catalogue.callback_candidates(PROFILE)
    survey = discovery.survey(target, paths)
    assert {e.path for e in survey.of("mounted")} == {"/api/v1/ci/seed", "/api/v1/payments/webhook/paypal"}
    assert not survey.of("cannot_tell") and not survey.not_asked
    prefixes = {route_catalogue.prefix_of(p, PROFILE) for p in paths}
    assert survey.requests == len(routed.requests) == len(set(paths)) + len(prefixes)  # a control per prefix
    assert all(method == "OPTIONS" and length == 0 for method, _path, length in routed.requests)
    assert 1 < routed.most_in_flight <= 8


def test_a_survey_stops_at_its_request_bound_and_calls_the_rest_unproven(routed: Server) -> None:
    target = TargetClient(routed.url, profile_with(max_requests=20, concurrency=2))
    paths = route_catalogue.callback_candidates(PROFILE)
    survey = discovery.survey(target, paths)
    assert len(routed.requests) == survey.requests == 20
    assert len(survey.not_asked) == len(paths) - (20 - 2)  # two controls, one per prefix
    assert routed.most_in_flight <= 2
    assert "beyond [discovery] max_requests" in discovery.cannot_tell_message(survey, []).text()


def test_a_target_that_answers_every_path_alike_is_cannot_tell_never_nothing_found() -> None:
    with Server(lambda _path: 200) as catch_all:
        survey = discovery.survey(TargetClient(catch_all.url, PROFILE), route_catalogue.seed_candidates(PROFILE))
    assert not survey.of("mounted") and not survey.of("absent")
    assert len(survey.of("cannot_tell")) == len(route_catalogue.seed_candidates(PROFILE))
    assert survey.blind_prefixes() == {"/api/v1": 200, "": 200}
    message = discovery.cannot_tell_message(survey, survey.of("cannot_tell")).text()
    assert message.startswith("discovery cannot tell") and "answered 200 to OPTIONS as an unknown path does" in message


def test_a_gateway_answering_401_everywhere_still_shows_a_routed_405() -> None:
    with Server(lambda path: 405 if path == "/api/v1/test/seed" else 401) as gateway:
        survey = discovery.survey(TargetClient(gateway.url, PROFILE), route_catalogue.seed_candidates(PROFILE))
    assert [e.path for e in survey.of("mounted")] == ["/api/v1/test/seed"]
    assert survey.of("cannot_tell") and not survey.of("absent")


def test_a_transport_failure_on_a_probe_puts_no_write_in_doubt() -> None:
    with Server(lambda _path: 404) as server:
        target = TargetClient(server.url, PROFILE)
        target.breaker.transport_failure("OPTIONS", "/x", "reset", lambda: True)
        target.breaker.transport_failure("POST", "/hook", "reset", lambda: True, in_doubt=False)
        assert target.breaker.writes_blocked is None
        target.breaker.transport_failure("POST", "/api/v1/player/wallet/deposit", "reset", lambda: True)
        assert target.breaker.writes_blocked is not None


HOOKS = Webhooks(refused=[401, 403], signature_codes=["WEBHOOK_SIGNATURE_MISSING"])


@pytest.mark.parametrize(("status", "code", "verdict"), [
    (200, "", "accepted"), (202, "", "accepted"), (500, "", "crashed"), (502, "", "crashed"),
    (401, "", "refused"), (403, "", "refused"), (400, "WEBHOOK_SIGNATURE_MISSING", "refused"),
    (400, "MISSING_IDS", "unproven"), (400, "", "unproven"), (404, "", "unproven"), (422, "", "unproven"),
    (None, "", "unproven"),
])
def test_an_unsigned_probe_passes_only_with_proof(status: int | None, code: str, verdict: str) -> None:
    assert unsigned.verdict(status, code, HOOKS)[0] == verdict


def answered(status: int, body: object) -> Response:
    raw = requests.Response()
    raw.status_code, raw._content = status, json.dumps(body).encode()
    return Response(raw, Exchange("POST", "http://127.0.0.1/hook", status, 1.0))


def test_error_codes_are_read_at_the_top_or_nested_under_detail() -> None:
    def error_code(body: object) -> str:
        return answered(400, body).error_code(PROFILE, nested=True)

    assert error_code({"error_code": "X"}) == "X"
    assert error_code({"detail": {"error_code": "MISSING_IDS", "message": "m"}}) == "MISSING_IDS"
    assert error_code({"detail": "plain"}) == ""
    assert error_code(None) == ""
    assert answered(400, {"detail": {"error_code": "MISSING_IDS"}}).error_code(PROFILE) == ""  # only when asked
    said = unsigned.answer_of(answered(400, {"detail": {"error_code": "MISSING_IDS"}}), PROFILE, "/hook", "unsigned")
    assert (said.code, said.verdict) == ("MISSING_IDS", "unproven")


def test_a_route_is_refused_only_when_some_event_was_refused_and_none_accepted() -> None:
    def answer(v: unsigned.Verdict) -> unsigned.Answer:
        return unsigned.Answer("/hook", Reason("unsigned generic"), 400, "", v, Reason(v))

    assert unsigned.RouteJudgement("/hook", "x", [answer("unproven"), answer("refused")]).outcome == "refused"
    assert unsigned.RouteJudgement("/hook", "x", [answer("unproven")]).outcome == "unproven"
    assert unsigned.RouteJudgement("/hook", "x", [answer("refused"), answer("accepted")]).outcome == "fail"
    assert unsigned.RouteJudgement("/hook", "x", [answer("refused")], moved="available +1.00").outcome == "fail"
    said = unsigned.unproven_message([unsigned.RouteJudgement("/api/v1/payments/webhook/paypal", "x", [
        unsigned.Answer("/api/v1/payments/webhook/paypal", Reason("unsigned generic"), 400, "MISSING_IDS", "unproven",
                        Reason("this proves no signature check"))])]).text()
    assert said.startswith("unproven: POST /api/v1/payments/webhook/paypal answered 400 MISSING_IDS")
    assert "declare its payload in the profile" in said and "acknowledge it" in said


def test_the_run_explains_the_canarys_money_by_its_own_transactions_states() -> None:
    d, w = footprint.Moved, Decimal
    explained = footprint.explain(
        w("20.00"), w("0.00"),
        [d("d1", w("4.00"), "completed"), d("d2", w("1.00"), "pending_provider"), d("d3", w("1"), "failed")],
        [d("w1", w("1.00"), "paid"), d("w2", w("1.00"), "payout_failed"), d("w3", w("1.00"), "rejected"),
         d("w4", w("1.00"), "requested"), d("w5", w("1.00"), "weird")], PROFILE)
    assert (explained.available, explained.held) == (w("21.00"), w("2.00"))
    assert tuple(r.text() for r in explained.unknown) == ("withdrawal w5 in state 'weird'",)
    assert Balance(w("21.00"), w("2.00")).change_to(Balance(w("22.00"), w("2.00"))) == \
        "available +1.00 (21.00 -> 22.00)"
    assert Balance(w("1"), w("2")).change_to(Balance(w("1"), w("2"))) == ""


def test_a_survey_waits_out_429_within_its_retry_after() -> None:
    seen: set[str] = set()

    def answer(path: str) -> int:
        if path not in seen:  # each path is rate limited once, then answered
            seen.add(path)
            return 429
        return 405 if path == "/api/v1/ci/seed" else 404

    with Server(answer) as limited:
        survey = discovery.survey(TargetClient(limited.url, PROFILE), ["/api/v1/ci/seed", "/api/v1/test/reset"])
    assert [e.path for e in survey.of("mounted")] == ["/api/v1/ci/seed"]
    assert [e.path for e in survey.of("absent")] == ["/api/v1/test/reset"]


def test_a_routes_own_signature_codes_prove_a_refusal_too() -> None:
    assert unsigned.verdict(400, "HOOK_SIG_BAD", HOOKS)[0] == "unproven"
    assert unsigned.verdict(400, "HOOK_SIG_BAD", HOOKS, ["HOOK_SIG_BAD"])[0] == "refused"


def test_lanes_bound_the_requests_in_flight_whoever_submits_them() -> None:
    lanes = discovery.Lanes(3)
    lock = threading.Lock()
    in_flight = peak = 0

    def probe() -> tuple[int | None, str]:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return 404, ""

    def one_survey(rank: int) -> list[tuple[int | None, str]]:
        return [f.result() for f in [lanes.submit(rank, probe) for _ in range(12)]]

    surveys = [threading.Thread(target=one_survey, args=(rank,)) for rank in (0, 1)]
    for thread in surveys:
        thread.start()
    for thread in surveys:
        thread.join(10)
    assert peak == 3  # two surveys side by side, never more than the one bound


def test_lanes_serve_the_lower_rank_first_and_pass_on_failures() -> None:
    lanes = discovery.Lanes(1)
    gate, order = threading.Event(), []

    def held() -> tuple[int | None, str]:
        gate.wait(5)
        return 200, ""

    def noted(name: str) -> Callable[[], tuple[int | None, str]]:
        def probe() -> tuple[int | None, str]:
            order.append(name)
            return 404, ""
        return probe

    lanes.submit(0, held)  # holds the only lane while the others queue
    late = [lanes.submit(1, noted(f"late{n}")) for n in range(2)]
    first = lanes.submit(0, noted("first"))

    def broken() -> tuple[int | None, str]:
        raise RuntimeError("the probe broke")

    failed = lanes.submit(2, broken)
    gate.set()
    assert [f.result(5) for f in (first, *late)] == [(404, "")] * 3
    assert order == ["first", "late0", "late1"]
    with pytest.raises(RuntimeError, match="the probe broke"):
        failed.result(5)
