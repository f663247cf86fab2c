"""Real platforms as they are, by profile data: error codes where they are (nested, per call), success in the body,
risk and limit refusals (the platform's business, never its failure), a deposit method's own call, the payout flow,
alternate paths, and the kit's budget."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests

from cutover_gate.config import profile_schema
from cutover_gate.config.cutover_file import CutoverFile
from cutover_gate.config.target_profile import Profile, load_profile, merged
from cutover_gate.core.errors import CheckFailed
from cutover_gate.target.client import Exchange, RefusedByRule, Response

CASINO: dict[str, Any] = {
    "errors": {"code": ["error_code", "detail.error_code"], "message": ["message", "detail.message", "detail"],
               "risk_refusal": ["RISK_BLOCK"]},
    "calls": {
        "deposit": {"codes": {"idempotency_conflict": ["DEPOSIT_IDEMPOTENCY_CONFLICT"]}},
        "withdraw": {"codes": {"idempotency_conflict": ["WITHDRAW_IDEMPOTENCY_CONFLICT"]}},
        "verify_email_confirm": {"success": {"field": "ok", "values": [True]}},
        "deposit_adyen": {"method": "POST", "path": "/api/v1/payments/adyen/checkout/session", "auth": "player",
                          "idempotent": True, "body": {"amount": "{amount}"}},
        "admin_withdrawal_approve": {"method": "POST", "path": "/api/v1/withdrawals/{tx_id}/approve",
                                     "auth": "admin"},
    },
    "flows": {"payout": "sync", "deposit": {"calls": {"adyen": "deposit_adyen"}},
              "alternates": {"withdrawal_review": ["admin_withdrawal_approve"]}},
}


def profile_of(over: dict[str, Any]) -> Profile:
    data, problems = merged(over)
    model, found = profile_schema.check(data)
    assert model is not None, problems + found
    return Profile("test", data)


def answer(profile: Profile, call: str, status: int, body: Any) -> Response:
    raw = requests.Response()
    raw.status_code = status
    raw._content = json.dumps(body).encode()
    raw.headers["Content-Type"] = "application/json"
    return Response(raw, Exchange("POST", "http://127.0.0.1/x", status, 1.0), profile.call(call), call, profile)


def test_error_codes_are_read_where_the_profile_says_nested_ones_included() -> None:
    casino, default = profile_of(CASINO), load_profile(None)
    nested = {"detail": {"error_code": "WITHDRAW_IDEMPOTENCY_CONFLICT", "message": "key reused"}}
    assert answer(casino, "withdraw", 409, nested).error_code(casino) == "WITHDRAW_IDEMPOTENCY_CONFLICT"
    assert answer(default, "withdraw", 409, nested).error_code(default) == ""  # the contract's is at the top
    assert answer(casino, "withdraw", 400, {"detail": "plain words"}).error_code(casino, or_detail=True) == \
        "plain words"
    assert casino.error_paths() == (("error_code", "detail.error_code"), ("message", "detail.message", "detail"))
    assert default.error_paths() == (("error_code",), ("detail",))


def test_each_call_names_its_own_codes_beside_the_platform_wide_ones() -> None:
    casino = profile_of(CASINO)
    assert casino.codes("withdraw", "idempotency_conflict") == ("WITHDRAW_IDEMPOTENCY_CONFLICT",
                                                                "IDEMPOTENCY_KEY_REUSE_CONFLICT")
    assert casino.codes("deposit", "idempotency_conflict")[0] == "DEPOSIT_IDEMPOTENCY_CONFLICT"
    assert casino.codes("deposit", "key_missing") == ("IDEMPOTENCY_KEY_REQUIRED",)
    assert casino.codes("withdraw", "risk_refusal") == ("RISK_BLOCK",)
    assert "WEBHOOK_SIGNATURE_INVALID" in casino.codes("webhook_payout", "signature")


def test_a_2xx_whose_body_says_it_failed_is_a_refusal_named_as_such() -> None:
    casino = profile_of(CASINO)
    assert answer(casino, "verify_email_confirm", 200, {"ok": True}).ok("confirm").status == 200
    with pytest.raises(CheckFailed, match=r"answered 200 but its body says it failed \(ok = false; success is "
                                          r"\[true\]\): a refusal"):
        answer(casino, "verify_email_confirm", 200, {"ok": False, "reason": "INVALID_CODE"}).ok("confirm")
    with pytest.raises(CheckFailed, match=r"ok = null"):
        answer(casino, "verify_email_confirm", 200, {}).ok("confirm")


def test_a_risk_refusal_is_the_platforms_business_not_its_failure() -> None:
    casino = profile_of(CASINO)
    refused = answer(casino, "withdraw", 403, {"detail": {"error_code": "RISK_BLOCK", "message": "velocity"}})
    with pytest.raises(RefusedByRule, match=r"the platform's risk control refused the probe \(403 RISK_BLOCK\)"):
        refused.ok("kit withdrawal")
    with pytest.raises(CheckFailed) as other:  # another 403 is still a failure of the call
        answer(casino, "withdraw", 403, {"detail": {"error_code": "KYC_REQUIRED_FOR_WITHDRAWAL"}}).ok("withdraw")
    assert not isinstance(other.value, RefusedByRule)


def test_a_deposit_method_may_name_its_own_call_and_flows_are_data() -> None:
    casino, default = profile_of(CASINO), load_profile(None)
    assert casino.deposit_call("adyen") == "deposit_adyen" and casino.deposit_call("card") == "deposit"
    assert default.deposit_call("adyen") == "deposit"
    assert casino.flows.payout == "sync" and default.flows.payout == "webhook"
    assert casino.flows.alternates == {"withdrawal_review": ["admin_withdrawal_approve"]}


def test_profile_check_names_every_new_key_by_its_path() -> None:
    data, _ = merged({"flows": {"payout": "later", "deposit": {"calls": {"adyen": "nope"}},
                                "alternates": {"withdrawal_review": ["missing_call"], "refund": ["x"]}},
                      "errors": {"code": "error_code"},
                      "calls": {"withdraw": {"codes": {"fraud": ["X"]}, "success": {"field": "ok", "values": []}}}})
    _model, problems = profile_schema.check(data)
    text = "\n".join(problems)
    for expected in ("flows.payout: not one of the allowed values", "flows.alternates.refund",
                     "calls.withdraw.codes.fraud", "calls.withdraw.success.values"):
        assert expected in text, text
    data, _ = merged({"flows": {"deposit": {"calls": {"adyen": "nope"}},
                                "alternates": {"withdrawal_review": ["missing_call"]}},
                      "errors": {"code": "error_code"}})
    _model, problems = profile_schema.check(data)
    assert "flows.deposit.calls.adyen: no call 'nope' in [calls]" in problems
    assert "flows.alternates.withdrawal_review: no call 'missing_call' in [calls]" in problems
    assert "errors.code: not a list of paths" in problems


def test_the_kit_budget_caps_withdrawals_and_money() -> None:
    default = CutoverFile.model_validate({})
    assert (default.kit_budget.withdrawals, default.kit_budget.amount) == (6, Decimal("10"))
    custom = CutoverFile.model_validate({"kit_budget": {"withdrawals": 2, "amount": "3.50"},
                                         "webhooks": {"payout_flow_waiver": "PAY-7 payouts settle in the call"}})
    assert (custom.kit_budget.withdrawals, custom.kit_budget.amount) == (2, Decimal("3.50"))
    assert custom.webhooks.payout_flow_waiver == "PAY-7 payouts settle in the call"
