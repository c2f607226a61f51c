"""What the LINE chat writes (issue 17), per language: the menu's choices are the IVR's (casework.ivr.menu), the
words are written for reading, not hearing. Thai first; a language without its own words here gets English.

TODO(issue 17): Burmese, Khmer and Lao words; until then those chats read English after the language choice."""
from __future__ import annotations

GREETING = {
    "th": "สายด่วน 1300 ศูนย์ช่วยเหลือสังคม กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ สวัสดีค่ะ กรุณาเลือกภาษา",
    "en": "Welcome to the 1300 social assistance hotline of the Ministry of Social Development and Human Security. "
          "Please choose your language.",
}
MAIN_QUESTION = {
    "th": "ต้องการแจ้งเหตุการค้ามนุษย์ หรือขอความช่วยเหลือเรื่องอื่น กรุณาเลือกด้านล่าง",
    "en": "Do you want to report human trafficking, or do you need other help? Please choose below.",
}
TOPIC_CHOICE = {  # a quick-reply button: at most 20 characters (LINE)
    "trafficking": {"th": "แจ้งการค้ามนุษย์", "en": "Report trafficking"},
    "other_help": {"th": "ความช่วยเหลืออื่น", "en": "Other help"},
}


def words(table: dict[str, str], language: str | None) -> str:
    return table.get(language or "th") or table["en"]


def greeting() -> str:
    """Thai first, then English; each language's button carries its own script."""
    return "\n\n".join(GREETING[language] for language in ("th", "en"))
