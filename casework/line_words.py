"""What the LINE chat writes (issue 17), per language: the menu's choices are the IVR's (casework.ivr.menu), the
words are written for reading, not hearing. Thai first; a language without its own words here gets English.

Burmese (my), Khmer (km) and Lao (lo) are machine translations, to be checked by a native speaker
(MACHINE_TRANSLATED); each language is written in its own script, the case reference and 191 in Western digits.
A button's label is at most 20 characters (LINE); tests/test_line_words.py holds every label to it.
"""
from __future__ import annotations

MACHINE_TRANSLATED = ("my", "km", "lo")  # to be checked by a native speaker

GREETING = {
    "th": "สายด่วน 1300 ศูนย์ช่วยเหลือสังคม กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ สวัสดีค่ะ กรุณาเลือกภาษา",
    "en": "Welcome to the 1300 social assistance hotline of the Ministry of Social Development and Human Security. "
          "Please choose your language.",
    "my": "ကျေးဇူးပြု၍ ဘာသာစကား ရွေးချယ်ပါ။",
    "km": "សូមជ្រើសរើសភាសារបស់អ្នក។",
    "lo": "ກະລຸນາເລືອກພາສາ.",
}
MAIN_QUESTION = {
    "th": "ต้องการแจ้งเหตุการค้ามนุษย์ หรือขอความช่วยเหลือเรื่องอื่น กรุณาเลือกด้านล่าง",
    "en": "Do you want to report human trafficking, or do you need other help? Please choose below.",
    "my": "လူကုန်ကူးမှုကို တိုင်ကြားလိုပါသလား၊ သို့မဟုတ် အခြားအကူအညီ လိုအပ်ပါသလား။ အောက်တွင် ရွေးချယ်ပါ။",
    "km": "តើអ្នកចង់រាយការណ៍អំពីការជួញដូរមនុស្ស ឬត្រូវការជំនួយផ្សេងទៀត? សូមជ្រើសរើសខាងក្រោម។",
    "lo": "ທ່ານຕ້ອງການແຈ້ງການຄ້າມະນຸດ ຫຼື ຕ້ອງການຄວາມຊ່ວຍເຫຼືອອື່ນ? ກະລຸນາເລືອກຂ້າງລຸ່ມ.",
}
KIND_QUESTION = {
    "th": "เกิดอะไรขึ้น เลือกด้านล่าง หรือพิมพ์หมายเลข",
    "en": "What is happening? Choose below, or type the number.",
    "my": "ဘာဖြစ်နေပါသလဲ။ အောက်တွင် ရွေးပါ၊ သို့မဟုတ် နံပါတ် ရိုက်ပါ။",
    "km": "តើមានអ្វីកើតឡើង? សូមជ្រើសរើសខាងក្រោម ឬវាយលេខ។",
    "lo": "ເກີດຫຍັງຂຶ້ນ? ກະລຸນາເລືອກຂ້າງລຸ່ມ ຫຼື ພິມໝາຍເລກ.",
}
# The menu's choices, by what they mean (casework.line_menu names each option of casework.ivr.menu so).
CHOICE = {
    "trafficking": {"th": "แจ้งการค้ามนุษย์", "en": "Report trafficking", "my": "လူကုန်ကူးမှုတိုင်ရန်",
                    "km": "រាយការណ៍ការជួញដូរ", "lo": "ແຈ້ງການຄ້າມະນຸດ"},
    "other_help": {"th": "ความช่วยเหลืออื่น", "en": "Other help", "my": "အခြားအကူအညီ", "km": "ជំនួយផ្សេងទៀត",
                   "lo": "ຄວາມຊ່ວຍເຫຼືອອື່ນ"},
    "danger_now": {"th": "มีคนอยู่ในอันตราย", "en": "Danger right now", "my": "ယခု အန္တရာယ်ရှိ",
                   "km": "មានគ្រោះថ្នាក់ឥឡូវ", "lo": "ມີອັນຕະລາຍດຽວນີ້"},
    "sexual_exploitation": {"th": "แสวงประโยชน์ทางเพศ", "en": "Sexual exploitation", "my": "လိင်ခေါင်းပုံဖြတ်မှု",
                            "km": "កេងប្រវ័ញ្ចផ្លូវភេទ", "lo": "ຂູດຮີດທາງເພດ"},
    "forced_labour": {"th": "บังคับใช้แรงงาน", "en": "Forced labour", "my": "အဓမ္မလုပ်အား",
                      "km": "ពលកម្មដោយបង្ខំ", "lo": "ບັງຄັບອອກແຮງງານ"},
    "forced_begging": {"th": "บังคับขอทาน", "en": "Forced begging", "my": "အတင်းတောင်းစားခိုင်း",
                       "km": "បង្ខំឱ្យសុំទាន", "lo": "ບັງຄັບຂໍທານ"},
    "slavery": {"th": "เอาคนลงเป็นทาส", "en": "Slavery", "my": "ကျွန်ပြုမှု", "km": "ទាសភាព", "lo": "ເອົາຄົນເປັນຂ້າທາດ"},
    "organ_removal": {"th": "ตัดอวัยวะ", "en": "Organ removal", "my": "ကိုယ်အင်္ဂါထုတ်ယူမှု", "km": "ការយកសរីរាង្គ",
                      "lo": "ຕັດເອົາອະໄວຍະວະ"},
    "forced_criminality": {"th": "แก๊งหลอกลวง", "en": "Scam compound", "my": "လိမ်လည်ရေးဂိုဏ်း",
                           "km": "ក្រុមបោកប្រាស់", "lo": "ແກ໊ງຫຼອກລວງ"},
    "child_exploitation": {"th": "แสวงประโยชน์จากเด็ก", "en": "Child exploitation", "my": "ကလေးခေါင်းပုံဖြတ်မှု",
                           "km": "កេងប្រវ័ញ្ចកុមារ", "lo": "ຂູດຮີດເດັກ"},
    "other": {"th": "อื่นๆ", "en": "Other", "my": "အခြား", "km": "ផ្សេងៗ", "lo": "ອື່ນໆ"},
    "person": {"th": "คุยกับเจ้าหน้าที่", "en": "Talk to a person", "my": "ဝန်ထမ်းနှင့်စကားပြော",
               "km": "និយាយជាមួយមន្ត្រី", "lo": "ລົມກັບເຈົ້າໜ້າທີ່"},
    "yes": {"th": "ปลอดภัย ติดต่อได้", "en": "Yes, it is safe", "my": "လုံခြုံပါသည်", "km": "មានសុវត្ថិភាព",
            "lo": "ແມ່ນ, ປອດໄພ"},
    "no": {"th": "ไม่ปลอดภัย", "en": "No", "my": "မလုံခြုံပါ", "km": "ទេ", "lo": "ບໍ່"},
}
WHERE_QUESTION = {
    "th": "เหตุเกิดที่ไหน ส่งตำแหน่ง (ปุ่มด้านล่าง) พิมพ์รหัสไปรษณีย์ 5 หลัก หรือพิมพ์ชื่อจังหวัดหรืออำเภอ",
    "en": "Where is it happening? Send a location (button below), type the 5-digit postcode, or type the name of "
          "the province or district (in Thai or English).",
    "my": "ဘယ်နေရာမှာ ဖြစ်နေပါသလဲ။ တည်နေရာ ပို့ပါ (အောက်ပါခလုတ်)၊ စာတိုက်သင်္ကေတ ဂဏန်း ၅ လုံး ရိုက်ပါ၊ "
          "သို့မဟုတ် ပြည်နယ် သို့မဟုတ် ခရိုင်အမည်ကို ထိုင်း သို့မဟုတ် အင်္ဂလိပ်လို ရိုက်ပါ။",
    "km": "តើវាកើតឡើងនៅឯណា? ផ្ញើទីតាំង (ប៊ូតុងខាងក្រោម) វាយលេខកូដប្រៃសណីយ៍ ៥ ខ្ទង់ "
          "ឬវាយឈ្មោះខេត្ត ឬស្រុក (ជាភាសាថៃ ឬអង់គ្លេស)។",
    "lo": "ເຫດການເກີດຂຶ້ນຢູ່ໃສ? ສົ່ງສະຖານທີ່ (ປຸ່ມຂ້າງລຸ່ມ), ພິມລະຫັດໄປສະນີ 5 ຕົວ, "
          "ຫຼື ພິມຊື່ແຂວງ ຫຼື ເມືອງ (ເປັນພາສາໄທ ຫຼື ອັງກິດ).",
}
SEND_LOCATION = {"th": "ส่งตำแหน่ง", "en": "Send location", "my": "တည်နေရာ ပို့ရန်", "km": "ផ្ញើទីតាំង",
                 "lo": "ສົ່ງສະຖານທີ່"}
DONT_KNOW = {"th": "ไม่ทราบ", "en": "Don't know", "my": "မသိပါ", "km": "មិនដឹង", "lo": "ບໍ່ຮູ້"}
PLACE_NOTED = {"th": "รับทราบ: {place}", "en": "Noted: {place}", "my": "မှတ်သားပြီး: {place}",
               "km": "បានកត់ត្រា៖ {place}", "lo": "ບັນທຶກແລ້ວ: {place}"}
CONSENT_QUESTION = {
    "th": "ปลอดภัยไหม หากเจ้าหน้าที่จะติดต่อกลับทาง LINE นี้",
    "en": "Is it safe for us to contact you back here on LINE?",
    "my": "ဤ LINE မှတစ်ဆင့် သင့်ကို ပြန်ဆက်သွယ်ရန် လုံခြုံပါသလား။",
    "km": "តើវាមានសុវត្ថិភាពទេ ប្រសិនបើយើងទាក់ទងអ្នកវិញតាម LINE នេះ?",
    "lo": "ປອດໄພບໍ ຖ້າພວກເຮົາຈະຕິດຕໍ່ທ່ານຄືນທາງ LINE ນີ້?",
}
ACCOUNT_QUESTION = {
    "th": "เล่าสิ่งที่เกิดขึ้นด้วยคำของคุณเอง (ใคร ที่ไหน กี่คน) หรือกด \"ข้าม\"",
    "en": "Tell us in your own words what happened (who, where, how many people), or tap \"Skip\".",
    "my": "ဖြစ်ပျက်ခဲ့သည်ကို သင့်စကားဖြင့် ပြောပြပါ (ဘယ်သူ၊ ဘယ်မှာ၊ လူဘယ်နှစ်ယောက်)၊ သို့မဟုတ် \"ကျော်ရန်\" ကိုနှိပ်ပါ။",
    "km": "សូមប្រាប់យើងពីអ្វីដែលបានកើតឡើងតាមពាក្យរបស់អ្នក (នរណា នៅឯណា ប៉ុន្មាននាក់) ឬចុច \"រំលង\"។",
    "lo": "ກະລຸນາເລົ່າສິ່ງທີ່ເກີດຂຶ້ນດ້ວຍຄຳເວົ້າຂອງທ່ານເອງ (ໃຜ, ຢູ່ໃສ, ຈັກຄົນ) ຫຼື ກົດ \"ຂ້າມ\".",
}
SKIP = {"th": "ข้าม", "en": "Skip", "my": "ကျော်ရန်", "km": "រំលង", "lo": "ຂ້າມ"}
REPORTED = {
    "th": "ขอบคุณค่ะ เราได้รับเรื่องของคุณแล้ว เลขที่เรื่อง {reference} ทีมงานในจังหวัดจะดำเนินการต่อ",
    "en": "Thank you. We have your report: its reference is {reference}. The team in the province will act on it.",
    "my": "ကျေးဇူးတင်ပါသည်။ သင့်တိုင်ကြားချက်ကို လက်ခံရရှိပါပြီ။ အမှတ်: {reference}။ ဒေသဆိုင်ရာအဖွဲ့က ဆောင်ရွက်ပါမည်။",
    "km": "សូមអរគុណ។ យើងបានទទួលរបាយការណ៍របស់អ្នកហើយ លេខយោង៖ {reference}។ ក្រុមការងារនៅខេត្តនឹងចាត់វិធានការ។",
    "lo": "ຂອບໃຈ. ພວກເຮົາໄດ້ຮັບການແຈ້ງຂອງທ່ານແລ້ວ ເລກອ້າງອີງ: {reference}. ທີມງານໃນແຂວງຈະດຳເນີນການ.",
}
URGENT_OPENED = {
    "th": "เราเปิดเรื่องของคุณเป็นเรื่องด่วนแล้ว เลขที่เรื่อง {reference} เจ้าหน้าที่จะตอบคุณที่นี่โดยเร็วที่สุด "
          "หากมีคนอยู่ในอันตรายตอนนี้ โทรแจ้งตำรวจ 191",
    "en": "We have opened your report as urgent: its reference is {reference}. A person will answer you here as soon "
          "as possible. If someone is in danger right now, call the police on 191.",
    "my": "သင့်တိုင်ကြားချက်ကို အရေးပေါ်အဖြစ် ဖွင့်ပြီးပါပြီ။ အမှတ်: {reference}။ ဝန်ထမ်းတစ်ဦးက ဤနေရာတွင် "
          "အမြန်ဆုံး ပြန်ဖြေပါမည်။ ယခု အန္တရာယ်ရှိပါက ရဲ 191 ကို ခေါ်ပါ။",
    "km": "យើងបានបើករបាយការណ៍របស់អ្នកជាករណីបន្ទាន់ លេខយោង៖ {reference}។ មន្ត្រីម្នាក់នឹងឆ្លើយតបអ្នកនៅទីនេះ"
          "ឱ្យបានឆាប់បំផុត។ ប្រសិនបើមានគ្រោះថ្នាក់ឥឡូវនេះ សូមហៅប៉ូលីសលេខ 191។",
    "lo": "ພວກເຮົາໄດ້ເປີດເລື່ອງຂອງທ່ານເປັນເລື່ອງດ່ວນແລ້ວ ເລກອ້າງອີງ: {reference}. ເຈົ້າໜ້າທີ່ຈະຕອບທ່ານຢູ່ນີ້ໄວທີ່ສຸດ. "
          "ຖ້າມີອັນຕະລາຍດຽວນີ້ ໃຫ້ໂທຫາຕຳຫຼວດ 191.",
}
ADDED = {
    "th": "ขอบคุณค่ะ ข้อมูลนี้อยู่ในเรื่อง {reference} แล้ว",
    "en": "Thank you: this is now part of your report {reference}.",
    "my": "ကျေးဇူးတင်ပါသည်။ ဤအချက်အလက်ကို {reference} တွင် ထည့်သွင်းပြီးပါပြီ။",
    "km": "សូមអរគុណ៖ ព័ត៌មាននេះស្ថិតនៅក្នុងរបាយការណ៍ {reference} ហើយ។",
    "lo": "ຂອບໃຈ: ຂໍ້ມູນນີ້ຢູ່ໃນເລື່ອງ {reference} ແລ້ວ.",
}
PERSON_WAIT = {
    "th": "เจ้าหน้าที่สายด่วน 1300 จะตอบคุณที่นี่โดยเร็วที่สุด",
    "en": "A person from the 1300 hotline will answer you here as soon as possible.",
    "my": "1300 ဟော့လိုင်းမှ ဝန်ထမ်းတစ်ဦးက ဤနေရာတွင် အမြန်ဆုံး ပြန်ဖြေပါမည်။",
    "km": "មន្ត្រីពីខ្សែទូរស័ព្ទបន្ទាន់ 1300 នឹងឆ្លើយតបអ្នកនៅទីនេះឱ្យបានឆាប់បំផុត។",
    "lo": "ເຈົ້າໜ້າທີ່ສາຍດ່ວນ 1300 ຈະຕອບທ່ານຢູ່ນີ້ໄວທີ່ສຸດ.",
}

CHAT_ENDED = {  # the operator ended the chat: the menu is the bot's again
    "th": "เจ้าหน้าที่ได้จบการสนทนาแล้ว ขอบคุณค่ะ หากต้องการความช่วยเหลืออีก เลือกด้านล่างได้เลย",
    "en": "The person from the hotline has ended the chat. Thank you. If you need help again, choose below.",
    "my": "ဟော့လိုင်းမှ ဝန်ထမ်းက စကားပြောခြင်းကို အဆုံးသတ်လိုက်ပါပြီ။ ကျေးဇူးတင်ပါသည်။ "
          "အကူအညီ ထပ်မံလိုအပ်ပါက အောက်တွင် ရွေးချယ်ပါ။",
    "km": "មន្ត្រីពីខ្សែទូរស័ព្ទបន្ទាន់បានបញ្ចប់ការសន្ទនាហើយ។ សូមអរគុណ។ ប្រសិនបើត្រូវការជំនួយម្តងទៀត សូមជ្រើសរើសខាងក្រោម។",
    "lo": "ເຈົ້າໜ້າທີ່ສາຍດ່ວນໄດ້ຈົບການສົນທະນາແລ້ວ. ຂອບໃຈ. ຖ້າຕ້ອງການຄວາມຊ່ວຍເຫຼືອອີກ ກະລຸນາເລືອກຂ້າງລຸ່ມ.",
}


def words(table: dict[str, str], language: str | None, **values) -> str:
    text = table.get(language or "th") or table["en"]
    return text.format(**values) if values else text


def greeting() -> str:
    """Thai first, then English, then one line in each other language; each language's button carries its own script."""
    return "\n\n".join(GREETING[language] for language in ("th", "en", "my", "km", "lo"))
