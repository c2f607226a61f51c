"""`flask ivr show|prompts`: the voice menu's tree, its words in every language, and the voice artists' kit.

The kit is one CSV per recorded language, UTF-8 with a byte-order mark: a recording studio works down a
spreadsheet one file at a time, Excel shows Myanmar, Khmer and Lao script only when the BOM is there, and the
native speaker who checks the words can correct them in the same sheet and send it back.
"""
from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casework.ivr import menu, prompts

ivr = AppGroup("ivr", help="The voice menu.")

KIT_COLUMNS = ["file", "words to say", "English meaning", "checked by a native speaker", "recorded already"]


@ivr.command("show")
def ivr_show():
    """Print the menu tree."""
    click.echo(menu.describe())


@ivr.command("prompts")
@click.option("--kit", "kit_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write a recording script per recorded language (<language>.csv) into this folder.")
def ivr_prompts(kit_dir: Path | None):
    """Every prompt × language: words written? recorded? checked by a native speaker? (--kit: the voice artists' scripts)."""
    folder = current_app.config["HOTLINE"].PROMPTS_DIR
    if kit_dir is not None:
        write_kit(kit_dir, folder)
        return
    click.echo(f"Recordings in {folder}/<language>/ ({' or '.join(prompts.AUDIO_SUFFIXES)}); "
               f"Twilio speaks {' and '.join(prompts.SPOKEN)}, and a prompt not recorded is spoken in English.")
    click.echo("text: its words are written   rec: recorded   - : missing\n")
    width = max(len(key) for key in prompts.recording_keys()) + 2
    _row("key", list(prompts.LANGUAGES), width)
    for key in prompts.recording_keys():
        _row(key, [_cell(folder, key, language) for language in prompts.LANGUAGES], width)
    _row("checked", ["yes" if prompts.CHECKED_BY_NATIVE_SPEAKER.get(language) else "NO" for language in prompts.LANGUAGES], width)
    unchecked = [language for language in prompts.LANGUAGES if not prompts.CHECKED_BY_NATIVE_SPEAKER.get(language)]
    if unchecked:
        click.echo(f"\n{', '.join(unchecked)}: {prompts.UNCHECKED}. `flask ivr prompts --kit DIR` writes the scripts.")


def _row(first: str, cells: list[str], width: int) -> None:
    click.echo((first.ljust(width) + "".join(cell.ljust(11) for cell in cells)).rstrip())


def _cell(folder: Path, key: str, language: str) -> str:
    written = "text" if prompts.words(key, language) else "-"
    if language in prompts.SPOKEN:
        return written
    return f"{written} {'rec' if prompts.recording(folder, language, key) else '-'}"


def write_kit(kit_dir: Path, folder: Path) -> None:
    """One CSV per recorded language: the file the app expects, the words to say, and their English meaning."""
    kit_dir.mkdir(parents=True, exist_ok=True)
    for language in prompts.RECORDED:
        checked = "yes" if prompts.CHECKED_BY_NATIVE_SPEAKER.get(language) else f"no: {prompts.UNCHECKED}"
        lines = prompts.script(language)
        path = kit_dir / f"{language}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as sheet:
            writer = csv.writer(sheet)
            writer.writerow(KIT_COLUMNS)
            for line in lines:
                recorded = prompts.recording(folder, language, line.key) is not None
                writer.writerow([line.file, line.words, line.english, checked, "yes" if recorded else "no"])
        click.echo(f"{path}: {len(lines)} prompts in {prompts.LANGUAGES[language]}"
                   + ("" if prompts.CHECKED_BY_NATIVE_SPEAKER.get(language) else f" ({prompts.UNCHECKED})"))
