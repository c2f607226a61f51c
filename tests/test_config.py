"""Configuration comes from the environment only, and a missing secret stops production start-up."""
from __future__ import annotations

import subprocess  # nosec B404: runs this checkout's own commands
import sys
from pathlib import Path

import pytest

from casework.config import DEVELOPMENT_AUTH_TOKEN, DEVELOPMENT_LINE_SECRET, ROOT, Config, ConfigError

PRODUCTION = {"SECRET_KEY": "s3cret", "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token",
              "TWILIO_FROM_NUMBER": "+6620001300", "OPERATOR_DIAL_TARGET": "+6621234567",
              "REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgresql://u@db/hotline",
              "PUBLIC_BASE_URL": "https://1300.example.go.th"}


def test_production_is_the_default_and_needs_its_secrets():
    with pytest.raises(ConfigError) as error:
        Config.from_env({})
    for name in ("SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "REDIS_URL",
                 "PUBLIC_BASE_URL", "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID", "DESK_CALLER_ID"):
        assert name in str(error.value)
    assert "OPERATOR_DIAL_TARGET" not in str(error.value)  # the desk is the default operator line


def test_the_desk_needs_a_number_to_ring_operators_from():
    """A site sending SMS from a messaging service alone has no caller id for the desk's calls."""
    environment = {k: v for k, v in PRODUCTION.items() if k not in ("TWILIO_FROM_NUMBER", "OPERATOR_DIAL_TARGET")}
    with pytest.raises(ConfigError, match="DESK_CALLER_ID or TWILIO_FROM_NUMBER"):
        Config.from_env({**environment, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32})
    config = Config.from_env({**environment, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32,
                              "DESK_CALLER_ID": "+6621300000"})
    assert config.desk and config.desk_caller_id == "+6621300000"
    assert not Config.from_env({**environment, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}
                               | {"OPERATOR_DIAL_TARGET": "+6621234567"}).desk  # one line, no desk: no caller id


def test_production_without_its_public_url_refuses_to_start():
    """The signature would otherwise be checked against the Host header: a request signed for staging would pass."""
    environment = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    with pytest.raises(ConfigError, match="missing required settings for production: PUBLIC_BASE_URL"):
        Config.from_env(environment)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be the URL Twilio calls"):
        Config.from_env({**PRODUCTION, "PUBLIC_BASE_URL": "1300.example.go.th"})
    assert Config.from_env({"HOTLINE_ENV": "development"}).PUBLIC_BASE_URL is None  # a local run signs for its host


def test_a_complete_production_environment_is_read():
    cfg = Config.from_env({**PRODUCTION, "PROXY_FIX_X_FOR": "1", "SPOOL_DIR": "/var/spool/hotline",
                           "TWILIO_API_BASE_URL": "http://127.0.0.1:4010", "VOICE_TH": "Polly.Thai"})
    assert cfg.ENV == "production" and cfg.PROXY_FIX_X_FOR == 1 and cfg.SPOOL_DIR == Path("/var/spool/hotline")
    assert cfg.TWILIO_SIGNATURE_CHECK is True and cfg.VOICE_TH == "Polly.Thai"
    assert cfg.sms_dry_run is False  # production always sends for real


def test_development_runs_without_secrets_but_still_checks_signatures():
    cfg = Config.from_env({"HOTLINE_ENV": "development"})
    assert cfg.TWILIO_AUTH_TOKEN == DEVELOPMENT_AUTH_TOKEN and cfg.SECRET_KEY and cfg.TWILIO_SIGNATURE_CHECK
    assert cfg.DATABASE_URL.startswith("sqlite:///") and cfg.REDIS_URL is None


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="HOTLINE_ENV"):
        Config.from_env({"HOTLINE_ENV": "staging"})


def test_empty_values_count_as_unset():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env({**PRODUCTION, "SECRET_KEY": ""})


def test_recording_streams_is_read_and_must_allow_one():
    assert Config.from_env({"HOTLINE_ENV": "development"}).RECORDING_STREAMS == 2
    assert Config.from_env({"HOTLINE_ENV": "development", "RECORDING_STREAMS": "4"}).RECORDING_STREAMS == 4
    with pytest.raises(ConfigError, match="RECORDING_STREAMS"):
        Config.from_env({"HOTLINE_ENV": "development", "RECORDING_STREAMS": "0"})


@pytest.mark.parametrize("command", [["flask", "ivr", "show"], ["-m", "workers.relay"]])
def test_a_missing_setting_stops_a_command_with_one_line_not_a_traceback(command):
    python = Path(sys.executable)
    argv = [str(python.parent / command[0])] + command[1:] if command[0] == "flask" else [str(python), *command]
    bare = {"PATH": "/usr/bin:/bin"}  # production by default, and nothing set
    done = subprocess.run(argv, cwd=ROOT, env=bare, capture_output=True, text=True, timeout=60)  # nosec B603
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "missing required settings for production: SECRET_KEY" in done.stderr
    wrong = subprocess.run(argv, cwd=ROOT, env={**bare, "HOTLINE_ENV": "development", "OPERATOR_DIAL_TIMEOUT": "30s"},
                           capture_output=True, text=True, timeout=60)  # nosec B603
    assert wrong.returncode == 1 and wrong.stderr.strip().endswith("OPERATOR_DIAL_TIMEOUT must be a whole number, not '30s'")


def test_the_readme_s_phone_without_a_phone_runs_as_written(tmp_path):
    """The examples carry HOTLINE_ENV=development: without it, production asks for its secrets."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A phone without a phone", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in section.strip().splitlines()]
    assert lines and all(line.startswith("HOTLINE_ENV=development .venv/bin/flask ") for line in lines)
    show = next(line for line in lines if line.endswith("ivr show"))
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}"}
    done = subprocess.run(["bash", "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # nosec B603 B607
    assert done.returncode == 0 and "language" in done.stdout, done.stderr


def test_line_is_on_with_both_its_secrets_and_off_with_neither():
    """Production runs without LINE; with its channel secret it needs the access token too, and the reverse."""
    assert Config.from_env(PRODUCTION).LINE_CHANNEL_SECRET is None
    with pytest.raises(ConfigError, match="missing required settings for production: LINE_CHANNEL_ACCESS_TOKEN"):
        Config.from_env({**PRODUCTION, "LINE_CHANNEL_SECRET": "channel-secret"})
    with pytest.raises(ConfigError, match="missing required settings for production: LINE_CHANNEL_SECRET"):
        Config.from_env({**PRODUCTION, "LINE_CHANNEL_ACCESS_TOKEN": "access-token"})
    with pytest.raises(ConfigError, match="the development one is refused"):
        Config.from_env({**PRODUCTION, "LINE_CHANNEL_SECRET": DEVELOPMENT_LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": "t"})
    cfg = Config.from_env({**PRODUCTION, "LINE_CHANNEL_SECRET": "channel-secret", "LINE_CHANNEL_ACCESS_TOKEN": "t"})
    assert cfg.line_dry_run is False and cfg.LINE_API_BASE_URL == "https://api.line.me"
    development = Config.from_env({"HOTLINE_ENV": "development"})
    assert development.LINE_CHANNEL_SECRET == DEVELOPMENT_LINE_SECRET and development.line_dry_run
    with pytest.raises(ConfigError, match="LINE_API_BASE_URL must be a URL"):
        Config.from_env({"HOTLINE_ENV": "development", "LINE_API_BASE_URL": "api.line.me"})
