"""The sandbox's maintenance page: player-facing routes answer it while the flag file exists, the deployer's routes
never do, and removing the file reopens traffic at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .sandbox_support import Api

MakeApi = Callable[..., Api]


def test_the_flag_file_switches_the_maintenance_page_on_and_off(make_api: MakeApi, tmp_path: Path) -> None:
    flag = tmp_path / "maintenance.on"
    api = make_api(maintenance_flag=str(flag))
    player = api.new_player()
    assert api.get("/api/v1/player/wallet/balance", token=player.token).status_code == 200

    flag.touch()
    for path in ("/api/v1/player/wallet/balance", "/api/v1/player/wallet/transactions"):
        page = api.get(path, token=player.token)
        assert page.status_code == 503 and page.json()["error_code"] == "MAINTENANCE", path
        assert page.headers["Retry-After"] == "60"
    login = api.post("/api/v1/auth/player/login", json={"email": player.email, "password": "x", "tenant_id": "d"})
    assert login.status_code == 503
    # the deployer's smoke still runs inside the window
    assert api.get("/api/health").status_code == 200
    assert api.get("/api/readiness").status_code == 200
    assert api.get("/api/v1/admin/dashboard", token=api.admin).status_code == 200

    flag.unlink()
    assert api.get("/api/v1/player/wallet/balance", token=player.token).status_code == 200
    assert api.get("/api/v1/player/wallet/balance").status_code == 401  # the platform answers again


def test_without_a_flag_there_is_never_a_maintenance_page(api: Api) -> None:
    assert api.sandbox.settings.sandbox_maintenance_flag is None
    assert api.get("/api/v1/player/wallet/balance").status_code == 401
