"""The CI recipes of `docs/ci/`: each passes the offline tool that exists for it and a structural check of what the
runbook needs, and every validator is shown to reject a broken copy (so none of these tests can pass vacuously).
"""

from __future__ import annotations

import copy
import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from . import recipe_checks as rc

Mutation = Callable[[Any], None]


def _broken_text(tmp_path: Path, source: Path, old: str, new: str, *, count: int = 1) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"the mutation's anchor {old!r} is gone from {source.name}: update the test"
    broken = tmp_path / source.name
    broken.write_text(text.replace(old, new, count), encoding="utf-8")
    return broken


def _mutated(doc: Any, mutate: Mutation) -> Any:
    broken = copy.deepcopy(doc)
    mutate(broken)
    return broken


# ------------------------------------------------------------------------------------------------ GitHub Actions

@pytest.fixture(scope="module")
def workflow() -> Any:
    return rc.load_yaml(rc.GITHUB_WORKFLOW)


def test_the_timeout_schema_rejects_a_job_without_timeout(tmp_path: Path) -> None:
    broken = _broken_text(tmp_path, rc.GITHUB_WORKFLOW, "    timeout-minutes: 20\n", "")
    assert any("github-workflows-require-timeout" in p for p in rc.github_schema_problems(broken))


def test_the_workflow_runs_the_phases_in_order_keeps_reports_and_publishes_junit(workflow: Any) -> None:
    assert rc.github_workflow_problems(workflow) == []


def _step(job: str, predicate: Callable[[dict[str, Any]], bool]) -> Callable[[Any], dict[str, Any]]:
    return lambda doc: next(s for s in doc["jobs"][job]["steps"] if predicate(s))


_UPLOAD = _step("t30", lambda s: str(s.get("uses", "")).startswith("actions/upload-artifact@"))
_JUNIT = _step("t15", lambda s: str(s.get("uses", "")).startswith("mikepenz/"))
_PYTEST_T0 = _step("t0", lambda s: "pytest -m t0" in str(s.get("run", "")))
_DOWNLOAD_T0 = _step("t0", lambda s: str(s.get("uses", "")).startswith("actions/download-artifact@"))
_GUARD_T60 = _step("t60", lambda s: rc.TARGET_GUARD in str(s.get("run", "")))

GITHUB_BREAKAGES: dict[str, tuple[Mutation, str]] = {
    "t0 skips t15": (lambda d: d["jobs"]["t0"].update(needs="t30"), "must need 't15'"),
    "no t30 job": (lambda d: d["jobs"].pop("t30"), "no job 't30'"),
    "upload only on success": (lambda d: _UPLOAD(d).pop("if"), "if: always()"),
    "junit not published": (lambda d: d["jobs"]["t15"]["steps"].remove(_JUNIT(d)), "JUnit is not published"),
    "secret written inline": (lambda d: _PYTEST_T0(d)["env"].update(CUTOVER_ADMIN_PASSWORD="hunter2"),
                              "CUTOVER_ADMIN_PASSWORD"),
    "target URL inline": (lambda d: d["env"].update(CUTOVER_TARGET_URL="https://payments.example"),
                          "CUTOVER_TARGET_URL"),
    "release SHA inline": (lambda d: d["env"].update(RELEASE_SHA="060f1658c0f32b260ef61eddb625805d5849d8b7"),
                           "40-hex"),
    "record not carried": (lambda d: d["jobs"]["t0"]["steps"].remove(_DOWNLOAD_T0(d)), "cutover-reports-t15"),
    "no target guard": (lambda d: d["jobs"]["t60"]["steps"].remove(_GUARD_T60(d)), "CUTOVER_TARGET_URL is set"),
    "path option with a space": (lambda d: _PYTEST_T0(d).update(run="pytest -m t0 --reports-dir reports"),
                                 "with '='"),
    "expression in run": (lambda d: _PYTEST_T0(d).update(run="pytest -m t0 --lang=${{ inputs.lang }}"),
                          "expression inside run"),
    "gate skipped on failure": (lambda d: d["jobs"]["gate"].pop("if"), "gate: must run `if: always()`"),
}


# ---------------------------------------------------------------------------------------------------- GitLab CI

@pytest.fixture(scope="module")
def gitlab() -> Any:
    return rc.load_yaml(rc.GITLAB_CI)


def test_the_gitlab_pipeline_runs_the_phases_in_order_keeps_reports_and_junit(gitlab: Any) -> None:
    assert rc.gitlab_problems(gitlab) == []


GITLAB_BREAKAGES: dict[str, tuple[Mutation, str]] = {
    "stages out of order": (lambda d: d.update(stages=["t30", "t60", "t15", "t0", "decision"]), "in this order"),
    "artifacts on success only": (lambda d: d[".cutover-phase"]["artifacts"].update(when="on_success"),
                                  "when: always"),
    "no junit report": (lambda d: d[".cutover-phase"]["artifacts"].pop("reports"), "reports:junit"),
    "t0 without t15's record": (lambda d: d["cutover:t0"].update(needs=["cutover:t15"]), "artifacts: true"),
    "secret in the file": (lambda d: d["variables"].update(CUTOVER_DB_DSN="postgresql://u:p@db/x"),
                           "CUTOVER_DB_DSN is defined in the file"),
    "wrong marker": (lambda d: d["cutover:t15"]["variables"].update(PHASE="t0"), "does not run `pytest -m t15`"),
    "no decision job": (lambda d: d.pop("cutover:decision"), "decision.json"),
}


# ------------------------------------------------------------------------------- the vendors' pipeline schemas

VENDOR_SCHEMAS: dict[str, tuple[Callable[..., list[str]], Path]] = {
    "github-workflows": (rc.github_schema_problems, rc.GITHUB_WORKFLOW),
    "gitlab-ci": (rc.gitlab_schema_problems, rc.GITLAB_CI),
}


@pytest.mark.parametrize("schema", sorted(VENDOR_SCHEMAS))
def test_the_pipeline_passes_its_vendor_schema(schema: str) -> None:
    check, _ = VENDOR_SCHEMAS[schema]
    assert check() == []


VENDOR_SCHEMA_BREAKAGES: dict[str, tuple[str, str]] = {
    # schema: (anchor, replacement) that the schema must reject as `vendor.<schema>`
    "github-workflows": ("    runs-on: ${{ vars.CUTOVER_RUNNER || 'ubuntu-latest' }}\n", ""),
    "gitlab-ci": ("      artifacts: true\n", "      artifacts: yes-please\n"),
}


@pytest.mark.parametrize("schema", sorted(VENDOR_SCHEMA_BREAKAGES))
def test_the_vendor_schema_rejects_a_broken_copy(tmp_path: Path, schema: str) -> None:
    check, source = VENDOR_SCHEMAS[schema]
    old, new = VENDOR_SCHEMA_BREAKAGES[schema]
    problems = check(_broken_text(tmp_path, source, old, new))
    assert problems and f"vendor.{schema}" in problems[0]


# ---------------------------------------------------------------------------------------------- Argo Rollouts

@pytest.fixture(scope="module")
def analysis() -> Any:
    return rc.load_yaml(rc.ARGO_TEMPLATE)


def test_the_analysis_template_has_the_argo_fields_and_a_valid_job(analysis: Any) -> None:
    assert rc.argo_problems(analysis) == []


def _metric(doc: Any) -> dict[str, Any]:
    return doc["spec"]["metrics"][0]


def _pod(doc: Any) -> dict[str, Any]:
    return _metric(doc)["provider"]["job"]["spec"]["template"]["spec"]


ARGO_BREAKAGES: dict[str, tuple[Mutation, str]] = {
    "not Argo's group": (lambda d: d.update(apiVersion="argoproj.io/v1"), "argoproj.io/v1alpha1"),
    "another kind": (lambda d: d.update(kind="ClusterAnalysisTemplat"), "kind must be AnalysisTemplate"),
    "restarted on failure": (lambda d: _pod(d).update(restartPolicy="OnFailure"), "restartPolicy must be Never"),
    "retried": (lambda d: _metric(d)["provider"]["job"]["spec"].update(backoffLimit=2), "backoffLimit must be 0"),
    "no failureLimit": (lambda d: _metric(d).pop("failureLimit"), "failureLimit: must be set"),
    "failureLimit never reached": (lambda d: _metric(d).update(failureLimit=1), "could never fail the analysis"),
    "misspelt metric field": (lambda d: _metric(d).update(failurelimit=0), "failurelimit: not a field"),
    "another provider": (lambda d: _metric(d).update(provider={"web": {"url": "{{args.target-url}}"}}),
                         "Job provider alone"),
    "another phase": (lambda d: _pod(d)["containers"][0]["args"].__setitem__(3, "t15"), "pytest -m t0"),
    "undeclared arg": (lambda d: d["spec"]["args"].pop(), "not declared"),
    "secret as a value": (lambda d: _pod(d)["containers"][0]["env"][1].update(value="x", valueFrom=None),
                          "must come from a Secret"),
    "not a Job spec (Kubernetes schema)": (lambda d: _pod(d).update(restartPolicyy="Never"),
                                           "as a batch/v1 Job"),
    "wrong type (Kubernetes schema)": (lambda d: _metric(d)["provider"]["job"]["spec"].update(
        activeDeadlineSeconds="half an hour"), "as a batch/v1 Job"),
}


# -------------------------------------------------------------------------------------------- Hypercare CronJob

@pytest.fixture(scope="module")
def cron_docs() -> list[Any]:
    return rc.load_yaml_documents(rc.CRONJOB)


def test_the_hypercare_cronjob_passes_the_kubernetes_schema_and_keeps_reports(cron_docs: list[Any]) -> None:
    assert [d["kind"] for d in cron_docs] == ["CronJob", "PersistentVolumeClaim"]
    assert rc.cronjob_problems(cron_docs) == []


def _cron_pod(docs: list[Any]) -> dict[str, Any]:
    return docs[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _cron_container(docs: list[Any]) -> dict[str, Any]:
    return _cron_pod(docs)["containers"][0]


CRON_BREAKAGES: dict[str, tuple[Callable[[list[Any]], None], str]] = {
    "hourly": (lambda d: d[0]["spec"].update(schedule="0 * * * *"), "*/30 * * * *"),
    "overlapping rounds": (lambda d: d[0]["spec"].update(concurrencyPolicy="Allow"), "Forbid"),
    "reports on an emptyDir": (lambda d: _cron_pod(d)["volumes"][0].update(persistentVolumeClaim=None, emptyDir={}),
                               "persistentVolumeClaim"),
    "claim not defined": (lambda d: d.pop(), "is not defined in the file"),
    "no hypercare marker": (lambda d: _cron_container(d)["args"].__setitem__(3, "t0"), "pytest -m hypercare"),
    "target written inline": (lambda d: _cron_container(d)["env"][1].update(value="https://payments.example",
                                                                            valueFrom=None),
                              "CUTOVER_TARGET_URL must come from"),
    "path option with a space": (lambda d: _cron_container(d)["args"].extend(["--profile", "/gate/p.toml"]),
                                 "with '='"),
    "misspelt field (Kubernetes schema)": (lambda d: d[0]["spec"].update(concurrencypolicy="Forbid"),
                                           "CronJob/cutover-gate-hypercare"),
    "wrong type (Kubernetes schema)": (lambda d: d[1]["spec"].update(accessModes="ReadWriteOnce"),
                                       "PersistentVolumeClaim/cutover-gate-reports"),
}


# ------------------------------------------------------------------------------------------------ Containerfile

@pytest.fixture(scope="module")
def containerfile() -> str:
    return rc.CONTAINERFILE.read_text(encoding="utf-8")


def test_the_containerfile_installs_the_gate_and_runs_pytest_as_non_root(containerfile: str) -> None:
    assert rc.containerfile_problems(containerfile) == []


def test_the_containerfile_passes_hadolint() -> None:
    assert rc.hadolint_problems(rc.CONTAINERFILE) == []


def test_hadolint_rejects_a_broken_copy(tmp_path: Path) -> None:
    broken = _broken_text(tmp_path, rc.CONTAINERFILE, "RUN pip install --no-cache-dir .",
                          "RUN cd /opt/cutover-gate-src && pip install .")
    problems = rc.hadolint_problems(broken)
    assert problems and ("DL3003" in problems[0] or "DL3042" in problems[0]), problems


CONTAINERFILE_BREAKAGES: dict[str, tuple[str, str, str]] = {
    "another base": ("FROM python:3.11-slim", "FROM python:3.12", "python:3.11-slim"),
    "runs as root": ("USER 10001:10001", "USER root", "must not run as root"),
    "no user": ("USER 10001:10001", "", "must not run as root"),
    "no pg client": ('"${PG_CLIENT_PACKAGE}"', "curl", "postgresql-client"),
    "not the project": ("pip install --no-cache-dir .", "pip install --no-cache-dir cutover-gate", "pip install ."),
    "a file that is not in the repository": ("COPY pyproject.toml conftest.py ./",
                                             "COPY pyproject.toml conftest.py pytest.ini ./", "'pytest.ini'"),
    "steps left out": ("COPY steps/ ./steps/\n", "", "lacks ['steps']"),
    "shell entrypoint": ('ENTRYPOINT ["pytest", "-p", "no:cacheprovider"]', "ENTRYPOINT pytest",
                         "exec form of pytest"),
    "another program": ('ENTRYPOINT ["pytest", "-p", "no:cacheprovider"]', 'ENTRYPOINT ["sh", "-c"]',
                        "exec form of pytest"),
    "a secret baked in": ("ARG PG_CLIENT_PACKAGE=postgresql-client",
                          "ARG PG_CLIENT_PACKAGE=postgresql-client\nENV CUTOVER_DB_DSN=postgresql://x", "at run time"),
}


def _run_in_image_workdir(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The image's ENTRYPOINT + args, run in a copy of its WORKDIR (pytest of this interpreter: the installed gate)."""
    entry = rc.image_entrypoint(rc.CONTAINERFILE.read_text(encoding="utf-8"))
    assert entry and entry[0] == "pytest"
    own = ("CUTOVER_", "RELEASE_SHA", "PYTEST_", "PYTHONPATH")  # the image's environment has none of the runner's
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return subprocess.run([sys.executable, "-m", "pytest", *entry[1:], *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


_PLAN_ARGS = ("--plan", "-m", "t0", "--target-url=http://127.0.0.1:9", "--release-sha=" + "a" * 40)


def test_the_image_workdir_is_a_gate_rootdir(containerfile: str, tmp_path: Path) -> None:
    """`podman run IMAGE -m t0 --target-url=...` in the WORKDIR the COPY lines lay out: the plan (sends nothing)."""
    workdir = tmp_path / "gate"
    rc.assemble_image_workdir(containerfile, workdir)
    assert sorted(p.name for p in workdir.iterdir()) == sorted(rc.IMAGE_WORKDIR_ENTRIES)
    reports = tmp_path / "reports"
    proc = _run_in_image_workdir(workdir, *_PLAN_ARGS, f"--reports-dir={reports}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "t0_deposit" in (reports / "plan.md").read_text(encoding="utf-8")


def test_an_image_workdir_without_the_steps_is_not_a_gate_rootdir(containerfile: str, tmp_path: Path) -> None:
    workdir = tmp_path / "gate"
    rc.assemble_image_workdir(containerfile.replace("COPY steps/ ./steps/\n", ""), workdir)
    proc = _run_in_image_workdir(workdir, *_PLAN_ARGS, f"--reports-dir={tmp_path / 'reports'}")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "No module named 'steps'" in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------------------------------ README

@pytest.fixture(scope="module")
def readme() -> str:
    return rc.CI_README.read_text(encoding="utf-8")


def test_the_ci_readme_explains_every_recipe_the_order_secrets_and_exit_codes(readme: str) -> None:
    assert rc.readme_problems(readme) == []


README_BREAKAGES: dict[str, tuple[str, str, str]] = {
    "a secret left out": ("`CUTOVER_CANARY_EMAIL`, ", "", "CUTOVER_CANARY_EMAIL"),
    "a recipe left out": ("[`gitlab-ci.yml`](gitlab-ci.yml)", "GitLab", "gitlab-ci.yml"),
    "a path option with a space": ("`--reports-dir=reports`", "`--reports-dir reports`", "with '='"),
    "no exit code 4": ("| 4 | usage error", "| usage error", "lacks 4"),
}


# --------------------------------------------------------------------------- every check rejects a broken copy

def _replaced(text: str, *, what: str, old: str, new: str) -> str:
    assert old in text, f"the mutation's anchor {old!r} is gone from the {what}: update the test"
    return text.replace(old, new, 1)


Breakage = Callable[[Any], Any]
"""Makes a broken copy of a recipe (as its fixture loads it), leaving the fixture's value as it is."""


def _in_place(mutations: dict[str, tuple[Mutation, str]]) -> dict[str, tuple[Breakage, str]]:
    return {name: (functools.partial(_mutated, mutate=mutate), expected)
            for name, (mutate, expected) in mutations.items()}


def _replacing(what: str, replacements: dict[str, tuple[str, str, str]]) -> dict[str, tuple[Breakage, str]]:
    return {name: (functools.partial(_replaced, what=what, old=old, new=new), expected)
            for name, (old, new, expected) in replacements.items()}


RECIPE_CHECKS: dict[str, tuple[Callable[[Any], list[str]], dict[str, tuple[Breakage, str]]]] = {
    # fixture name: (the check, its breakages)
    "workflow": (rc.github_workflow_problems, _in_place(GITHUB_BREAKAGES)),
    "gitlab": (rc.gitlab_problems, _in_place(GITLAB_BREAKAGES)),
    "analysis": (rc.argo_problems, _in_place(ARGO_BREAKAGES)),
    "cron_docs": (rc.cronjob_problems, _in_place(CRON_BREAKAGES)),
    "containerfile": (rc.containerfile_problems, _replacing("Containerfile", CONTAINERFILE_BREAKAGES)),
    "readme": (rc.readme_problems, _replacing("README", README_BREAKAGES)),
}


@pytest.mark.parametrize(("recipe", "breakage"), [(recipe, breakage) for recipe, (_, breakages) in
                                                  RECIPE_CHECKS.items() for breakage in sorted(breakages)])
def test_each_recipe_check_rejects_a_broken_copy(request: pytest.FixtureRequest, recipe: str, breakage: str) -> None:
    check, breakages = RECIPE_CHECKS[recipe]
    breaks, expected = breakages[breakage]
    problems = check(breaks(request.getfixturevalue(recipe)))
    assert any(expected in p for p in problems), problems


def test_every_file_of_docs_ci_is_a_recipe_the_readme_links() -> None:
    files = sorted(str(p.relative_to(rc.CI_DIR)) for p in rc.CI_DIR.rglob("*") if p.is_file() and p != rc.CI_README)
    assert files == sorted(rc.RECIPE_FILES)
    readme = rc.CI_README.read_text(encoding="utf-8")
    assert all(f"]({name})" in readme for name in rc.RECIPE_FILES)


def test_the_main_readme_links_the_ci_recipes() -> None:
    assert "](docs/ci/README.md)" in (rc.ROOT / "README.md").read_text(encoding="utf-8")
