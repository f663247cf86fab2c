"""The schema of a target profile (pydantic): what each section may hold, checked after the merge.

`check(data)` lists every problem at once, each with its key path: an unknown key, a wrong type, a call the gate
needs and the profile lacks, a placeholder the gate does not fill, an unknown signature scheme, a route naming a call
that does not exist.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from cutover_gate.config.profile_metrics import Metrics

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
Token = Literal["admin", "player"]
Scheme = Literal["hmac_ts", "stripe", "adyen", "none"]
Completion = Literal["webhook", "sync", "poll"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class HeaderAuth(Strict):
    header: str = Field(description="The header that carries the token (`X-Api-Key`).")
    scheme: str = Field(default="Bearer", description='Written before the token ("" for the token alone).')
    token: Token = Field(description="Whose token: the run's admin session or the canary player's.")


CodeCase = Literal["idempotency_conflict", "key_missing", "illegal_transition", "insufficient_funds", "signature",
                   "rate_limit", "risk_refusal"]
"""The cases of an error answer the gate interprets."""


class Success(Strict):
    """Success in the body: a 2xx whose `field` is not one of `values` is a refusal, named as such."""

    field: str
    """Dotted path or JSON pointer into the answer ("ok", "/result/status")."""
    values: list[Any] = Field(min_length=1, description="The values that mean success.")


class Call(Strict):
    method: Method = Field(default="GET", description="The HTTP method.")
    path: str = Field(description="A template the gate fills: {tx_id}, {player_id}, ...")
    auth: Token | Literal["none"] | HeaderAuth = Field(default="none", description="The run's admin session, the "
                                                      "canary player's, none, or a token in a header of its own.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers, templated.")
    query: dict[str, str] = Field(default_factory=dict, description="Query parameters, templated.")
    idempotent: bool = Field(default=False, description="Sends [headers] idempotency with a fresh key.")
    body: dict[str, Any] | None = Field(default=None, description='A JSON template; the gate fills its "{name}".')
    accept: list[int] = Field(default_factory=lambda: [200], description="The statuses that mean success.")
    answer: dict[str, str] = Field(default_factory=dict, description="Where each field the gate reads lives in the "
                                   "answer (dotted path or JSON pointer).")
    item: dict[str, str] = Field(default_factory=dict, description="The same inside each element of a list answer.")
    codes: dict[CodeCase, list[str]] = Field(default_factory=dict)
    """The error codes this call answers for the cases the gate interprets (beside [errors]' platform-wide ones)."""
    success: Success | None = Field(default=None, description="Success in the body, beside the status.")


class WebhookRoute(Strict):
    call: str = Field(description="Its call of [calls]: path, auth beside the signature, accepted statuses.")
    scheme: Scheme = Field(description="How its events are signed (none: not signed).")
    secret: str = Field(description="The environment variable holding its secret.")
    completes: Literal["deposit", "payout"] = Field(description="What its events complete.")
    payload: dict[str, Any] = Field(description="The event's template; the gate fills its placeholders.")
    deposit_method: str | None = Field(default=None, description="The deposit method whose deposits it completes.")
    timestamp_header: str = Field(default="X-Webhook-Timestamp", description="hmac_ts: the header with the Unix time.")
    signature_header: str = Field(default="X-Webhook-Signature", description="The signature's header.")
    outcomes: dict[str, str] = Field(default_factory=lambda: {"paid": "paid", "failed": "failed"})
    """The payload's words for a paid and a failed payout ({outcome})."""
    signed_fields: list[str] = Field(default_factory=list, description="adyen: the item's fields signed, in order.")
    signature_path: str = Field(default="", description="adyen: where in the item the signature is written.")
    item_path: str = Field(default="", description="adyen: where the notification item is in the payload.")
    key_encoding: Literal["hex", "base64", "raw"] | None = None
    """How the secret's text becomes the HMAC key: "hex" (Adyen issues its HMAC key as 64 hex characters and its
    libraries hex-decode it), "base64", or "raw" (its UTF-8 bytes). Unset: the scheme's default (adyen: base64, as
    CONTRACT §1 says; hmac_ts and stripe: raw)."""


class Webhooks(Strict):
    kit_amount: str = Field(default="1", description="What each webhook probe moves (never above the cutover file's "
                            "max_amount).")
    settle_s: float = Field(default=1.0, description="How long a PSP may still deliver its own event after the gate's.")
    provider: str = Field(default="cutover-gate", description="{provider}: the provider the gate's payout events name.")
    merchant_account: str = Field(default="CutoverGate", description="{merchant}.")
    refused: list[int] = Field(default_factory=lambda: [401, 403])
    """Statuses that alone prove a refusal of what nobody signed (any other 4xx needs a signature_codes code)."""
    signature_codes: list[str] = Field(default_factory=list)
    """The platform's error codes for a missing, wrong or stale signature: a 4xx carrying one is a refusal."""
    routes: dict[str, WebhookRoute] = Field(default_factory=dict, description="Every webhook route, by name.")


class Discovery(Strict):
    """Routes nobody declared (checks/discovery.py): the built-in catalogue of shapes (profiles/routes.toml) and the
    OpenAPI document, with what the profile adds, fills and acknowledges."""

    catalogue: StrictBool = True
    """Probe the built-in catalogue's shapes (OPTIONS only) besides the OpenAPI document."""
    prefixes: list[str] = Field(default_factory=list)
    """API prefixes to try the shapes under, besides those of the profile's calls ("/api/v1", "/v2")."""
    providers: list[str] = Field(default_factory=list)
    """PSP names for {provider}, besides the webhook routes' names and the built-in list."""
    seed_routes: list[str] = Field(default_factory=list)
    """More seed-like paths or shapes to look for ("/api/v1/ops/seed", or "ops/seed" under every prefix)."""
    callback_routes: list[str] = Field(default_factory=list)
    """More PSP callback paths or shapes to look for ("psp/{provider}/result")."""
    path_values: dict[str, list[str]] = Field(default_factory=dict)
    """Values for path parameters of documented or added routes ({tenant} = ["eu"])."""
    acknowledged: dict[str, str] = Field(default_factory=dict)
    """Routes the platform's owners vouch for, each with the reason: listed as acknowledged, never judged."""
    max_requests: int = Field(default=600, ge=1)
    """The most OPTIONS one discovery sends (controls included); beyond it the rest is unproven, never absent."""
    concurrency: int = Field(default=8, ge=1, le=8)
    """Probes in flight at once."""


class Channel(Strict):
    send: str = Field(description="The call that sends the code.")
    confirm: str = Field(description="The call that confirms it.")
    address: Literal["email", "phone"] = Field(description="The canary's field the channel addresses.")


class DepositFlow(Strict):
    methods: dict[str, Completion] = Field(default_factory=dict, description="How a deposit of each method completes.")
    psp_method: str = Field(default="", description='The method t0_psp_deposit proves the asynchronous PSP path with.')
    calls: dict[str, str] = Field(default_factory=dict)
    """A deposit method's own call, instead of calls.deposit ({ adyen = "deposit_adyen" })."""


class Verification(Strict):
    mode: Literal["answer", "fixed", "none"] = Field(default="answer", description="How it is verified.")
    channels: dict[str, Channel] = Field(default_factory=dict, description="The verification channels, by name.")


class Kyc(Strict):
    mode: Literal["call", "none"] = Field(default="call", description="By calls.kyc_review, or none.")


class Flows(Strict):
    deposit: DepositFlow = Field(default=DepositFlow(), description="How each deposit method completes.")
    verification: Verification = Field(default=Verification(), description="How a registered canary is verified.")
    kyc: Kyc = Field(default=Kyc(), description="How the canary becomes KYC-verified.")
    payout: Literal["webhook", "sync", "manual"] = "webhook"
    """How an approved withdrawal reaches paid: "webhook" (calls.withdrawal_payout answers pending, the PSP's signed
    event settles it: CONTRACT §1), "sync" (the payout call's answer settles it), "manual" (mark-paid only)."""
    alternates: dict[Literal["withdrawal_review", "withdrawal_mark_paid"], list[str]] = Field(default_factory=dict)
    """Other calls that approve or mark paid (an admin UI's beside the finance API's): each proven on a kit
    withdrawal through the whole loop."""


class Canary(Strict):
    tenant_id: str = Field(default="", description="The canary's tenant, unless the cutover file's [canary] names one.")
    email_domain: str = Field(default="canary.cutover.invalid", description="A new canary's email domain.")
    withdraw_method: str = Field(description="The canary's withdrawal method.")
    withdraw_address: str = Field(description="The canary's withdrawal address.")


class EnvVar(Strict):
    var: str = Field(description="The variable's name.")


class ProdValue(Strict):
    var: str = Field(default="ENV", description="The variable's name.")
    values: list[str] = Field(default_factory=lambda: ["prod", "production"])
    """The values (any case) that mean prod."""


class EnvList(Strict):
    var: str = Field(description="The variable's name.")
    format: Literal["json", "comma", "json_or_comma"] = "json"
    """How the list is written: a JSON list, a comma list, or either."""


class LiveKey(Strict):
    prefixes: list[str]
    """A live key starts with one of these (`sk_live_`); the rest must pass the secret heuristics."""
    min_length: int = Field(default=16, description="The shortest a key may be.")


class SecretRule(Strict):
    prefix: str = ""
    """The format's prefix (`whsec_`): a value without it FAILs; the heuristics judge what follows it."""
    min_length: int = Field(default=16, description="The shortest the secret may be.")


class ProdEnv(Strict):
    """The T-60 prod configuration rules; an absent (or removed) entry is a rule not checked."""
    env: ProdValue | None = Field(default=None, description="env_is_prod: the variable that says prod.")
    cors: EnvList | None = Field(default=None, description="cors_restricted: the allowed origins.")
    trusted_proxies: EnvList | None = Field(default=None, description="trusted_proxies_set.")
    database_url: EnvVar | None = Field(default=None, description="database_url_safe.")
    git_sha: EnvVar | None = Field(default=None, description="git_sha_valid (and it must be the release SHA).")
    live_keys: dict[str, LiveKey] = Field(default_factory=dict, description="psp_key_live:<VAR>: live-mode keys.")
    secrets: dict[str, SecretRule] = Field(default_factory=dict, description="secret_present:<VAR>: real secrets.")
    flags: dict[str, StrictBool] = Field(default_factory=dict)
    """Each flag's required value in prod (false: must be off)."""


class Maintenance(Strict):
    call: str = "wallet_balance"
    """The public call behind the maintenance page, sent as a GET without credentials; "" turns the checks off."""
    status: int = Field(default=503, description="The maintenance answer's status.")
    marker: str = ""
    """Text of the maintenance page's body ("" when the status alone tells it)."""


class Meta(Strict):
    name: str = Field(default="", description="The profile's name.")
    replace: list[str] = Field(default_factory=list, description="Tables that replace the default's whole.")
    remove: list[str] = Field(default_factory=list, description="Entries dropped (a call, a route, a rule...).")


class ProfileModel(Strict):
    profile: Meta = Field(default=Meta(), description="The profile's name and how it merges over the default.")
    headers: dict[str, str] = Field(default_factory=dict, description="The names of the headers the gate sends.")
    calls: dict[str, Call] = Field(description="Every HTTP call the gate makes, by name.")
    errors: dict[str, str | list[str]] = Field(default_factory=dict, description="Where an error's code and "
                                               "message are, and the platform-wide codes the gate checks for.")
    states: dict[str, str | list[str]] = Field(default_factory=dict, description="The platform's state names.")
    actions: dict[str, str] = Field(default_factory=dict, description="Values of the review's {action}.")
    flows: Flows = Field(default=Flows(), description="The flows where platforms differ.")
    sql: dict[str, str] = Field(default_factory=dict, description="The read-only SQL the gate runs, by name.")
    invariants: dict[str, str] = Field(default_factory=dict, description="Ledger invariants: the rows breaking one.")
    probes: dict[str, Any] = Field(default_factory=dict, description="What the security probes send and to where.")
    canary: Canary = Field(description="The canary player.")
    webhooks: Webhooks = Field(default=Webhooks(), description="The webhook routes and what proves a refusal.")
    prod_env: ProdEnv = Field(default=ProdEnv(), description="The T-60 prod configuration rules.")
    maintenance: Maintenance = Field(default=Maintenance(), description="The maintenance page's probe.")
    discovery: Discovery = Field(default=Discovery(), description="Routes nobody declared.")
    hypercare: dict[str, Any] = Field(default_factory=dict, description="Hypercare's thresholds and signal names.")
    metrics: Metrics = Field(default=Metrics(), description="Where hypercare reads its signals and alerting is proven.")


# The calls every run may make, whatever the flows; the flows add theirs.
REQUIRED_CALLS = frozenset({
    "health", "readiness", "version", "metrics", "openapi", "admin_login", "admin_me", "dashboard", "payouts_probe",
    "payout_status", "admin_player_wallet", "player_login", "wallet_balance", "wallet_transactions", "deposit",
    "withdraw", "withdrawals", "withdrawal_review", "withdrawal_mark_paid", "withdrawal_payout"})
REQUIRED_STATES = frozenset({
    "health_ok", "readiness_ok", "migrations_ok", "deposit_completed", "deposit_failed", "withdraw_requested",
    "withdraw_approved", "withdraw_payout_pending", "withdraw_paid", "withdraw_payout_failed", "withdraw_failed"})
CALL_PLACEHOLDERS = frozenset({
    "amount", "method", "address", "tx_id", "player_id", "email", "password", "username", "phone", "tenant", "code",
    "channel", "reason", "action", "state", "limit", "offset", "key"})
"""What the gate fills in a call's path, query, headers and body."""
WEBHOOK_PLACEHOLDERS = frozenset({
    "tx_id", "event_id", "outcome", "provider", "amount", "amount_minor", "currency", "currency_lower",
    "currency_upper", "merchant", "now", "now_iso", "nonce", "player_id", "player_email", "tenant", "deposit_id",
    "withdrawal_id"})
"""What the gate fills in a webhook payload."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(template: Any) -> Iterator[str]:
    if isinstance(template, str):
        yield from _PLACEHOLDER.findall(template)
    elif isinstance(template, dict):
        for key, value in template.items():
            yield from placeholders(key)
            yield from placeholders(value)
    elif isinstance(template, list):
        for value in template:
            yield from placeholders(value)


_PHRASES = {"extra_forbidden": "unknown key", "missing": "missing", "literal_error": "not one of the allowed values",
            "string_type": "not a string", "int_type": "not a whole number", "dict_type": "not a table",
            "model_type": "not a table", "list_type": "not a list", "bool_type": "not true or false"}


def _type_problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(part) for part in err["loc"] if not str(part).startswith(("function-", "literal[")))
        phrase = _PHRASES.get(err["type"]) or str(err["msg"]).lower()
        if err["type"] == "literal_error":
            phrase = f"{phrase}: {err['ctx'].get('expected', '') if err.get('ctx') else ''}".rstrip(": ")
        out.append(f"{path}: {phrase}")
    return sorted(dict.fromkeys(out))


_ENTRY_DEPTH = {"calls": 2, "webhooks": 3, "prod_env": 3, "flows": 3}
"""How deep an invalid entry is cut off to check the rest: a call, a webhook route, a rule, a flow."""


def _pruned(data: dict[str, Any], exc: ValidationError) -> dict[str, Any] | None:
    """The data without the entries that failed validation, so the remaining ones can still be checked."""
    out = copy.deepcopy(data)
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"]]
        if err["type"] == "missing" or not loc:
            return None
        cut = loc[: _ENTRY_DEPTH.get(loc[0], 1)]
        parent: Any = out
        for part in cut[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(cut[-1], None)
    return out


def check(data: dict[str, Any]) -> tuple[ProfileModel | None, list[str]]:
    """The validated profile, or None, and every problem with its key path: the entries that fail validation, then
    what is wrong with the others (a wrong type in one call does not hide an unknown placeholder in another)."""
    try:
        model = ProfileModel.model_validate(data)
    except ValidationError as exc:
        problems = _type_problems(exc)
        pruned = _pruned(data, exc)
        if pruned is None:
            return None, problems
        try:
            rest = ProfileModel.model_validate(pruned)
        except ValidationError:
            return None, problems
        return None, problems + [p for p in _semantic(rest) if not p.endswith("(the gate makes this call)")]
    problems = _semantic(model)
    return (model if not problems else None), problems


def _admin_only_problems(model: ProfileModel) -> list[str]:
    """`[probes] admin_only_calls`: admin calls that only read (the player's token is sent to them)."""
    names = model.probes.get("admin_only_calls", [])
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return ["probes.admin_only_calls: not a non-empty list of call names"]
    problems = []
    for name in names:
        call = model.calls.get(name)
        if call is None:
            problems.append(f"probes.admin_only_calls: no call '{name}' in [calls]")
            continue
        token = call.auth if isinstance(call.auth, str) else call.auth.token
        if token != "admin":
            problems.append(f"probes.admin_only_calls: '{name}' does not take the admin session")
        if call.method not in ("GET", "HEAD"):
            problems.append(f"probes.admin_only_calls: '{name}' is a {call.method}; the probe only reads")
    return problems


def _semantic(model: ProfileModel) -> list[str]:
    problems: list[str] = []
    needed = set(REQUIRED_CALLS)
    if model.flows.kyc.mode == "call":
        needed.add("kyc_review")
    if model.flows.verification.mode != "none":
        needed.add("player_register")
        problems += [f"flows.verification.channels.{name}: no call '{call}' in [calls]"
                     for name, channel in model.flows.verification.channels.items()
                     for call in (channel.send, channel.confirm) if call not in model.calls]
    problems += [f"calls.{name}: missing (the gate makes this call)" for name in sorted(needed - set(model.calls))]
    problems += [f"states.{name}: missing" for name in sorted(REQUIRED_STATES - set(model.states))]
    for name, call in model.calls.items():
        used = {*placeholders(call.path), *placeholders(call.query), *placeholders(call.headers),
                *placeholders(call.body)}
        problems += [f"calls.{name}: unknown placeholder {{{p}}}" for p in sorted(used - CALL_PLACEHOLDERS)]
    for name, route in model.webhooks.routes.items():
        if route.call not in model.calls:
            problems.append(f"webhooks.routes.{name}.call: no call '{route.call}' in [calls]")
        unknown = set(placeholders(route.payload)) - WEBHOOK_PLACEHOLDERS
        problems += [f"webhooks.routes.{name}.payload: unknown placeholder {{{p}}}" for p in sorted(unknown)]
        if route.completes == "deposit" and not route.deposit_method:
            problems.append(f"webhooks.routes.{name}.deposit_method: missing (the method whose deposits it completes)")
        if route.scheme == "adyen" and not (route.signed_fields and route.signature_path and route.item_path):
            problems.append(f"webhooks.routes.{name}: the adyen scheme needs signed_fields, signature_path, item_path")
    problems += _admin_only_problems(model)
    problems += _flow_problems(model)
    probe = model.maintenance.call
    if probe and probe not in model.calls:
        problems.append(f"maintenance.call: no call '{probe}' in [calls]")
    elif probe and set(placeholders(model.calls[probe].path)):
        problems.append(f"maintenance.call: '{probe}' has placeholders in its path; the probe needs a fixed route")
    method = model.flows.deposit.psp_method
    if method and model.flows.deposit.methods.get(method) not in ("webhook", "poll"):
        problems.append(f"flows.deposit.psp_method: '{method}' is not an asynchronous method of flows.deposit.methods")
    return problems


_ERROR_LISTS = frozenset({"code", "message"})


def _flow_problems(model: ProfileModel) -> list[str]:
    """The calls the flows name exist; [errors] code and message are lists of paths (every other entry is one code
    or a list of codes)."""
    problems = [f"flows.deposit.calls.{method}: no call '{call}' in [calls]"
                for method, call in model.flows.deposit.calls.items() if call not in model.calls]
    problems += [f"flows.alternates.{step}: no call '{call}' in [calls]"
                 for step, calls in model.flows.alternates.items() for call in calls if call not in model.calls]
    problems += [f"errors.{key}: not a list of paths" for key in _ERROR_LISTS
                 if key in model.errors and not isinstance(model.errors[key], list)]
    return problems
