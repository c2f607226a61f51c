"""What the menu says, in each language of models.vocabulary.LANGUAGES, in the language's own script.

Thai and English are spoken by Twilio's text-to-speech. Twilio has no voice for Burmese, Khmer or Lao, so their
menus play recordings from PROMPTS_DIR/<language>/<key>.mp3 (or .wav) that voice artists make from the words here
(`flask ivr prompts --kit DIR` writes their scripts); a prompt not recorded yet is spoken in English, because an
English voice reading Myanmar, Khmer or Lao script says nothing a caller understands.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.vocabulary import LANGUAGES as VOCABULARY

LANGUAGES = {code: language.own for code, language in VOCABULARY.items()}  # offered in their own script
SPOKEN = {"th": "th-TH", "en": "en-US"}  # languages Twilio can speak
RECORDED = [lang for lang in LANGUAGES if lang not in SPOKEN]
AUDIO_SUFFIXES = (".mp3", ".wav")

# Burmese, Khmer and Lao are machine translations until a native speaker has read them; the kit and
# `flask ivr prompts` say so. Set a language to True once its words are checked (then record them again).
CHECKED_BY_NATIVE_SPEAKER = {"th": True, "en": True, "my": False, "km": False, "lo": False}
UNCHECKED = "machine translation, to be checked by a native speaker"

# Numbers stay digits in every language, as in English ("press 3"), so a test can hold them to the English keys;
# the voice artist says them digit by digit in the language. Thai spells some out for Twilio's Thai voice.
TEXT: dict[str, dict[str, str]] = {
    "welcome": {
        "th": "ศูนย์ช่วยเหลือสังคม สายด่วน หนึ่ง สาม ศูนย์ ศูนย์ กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ สวัสดีค่ะ",
        "en": "Welcome to the 1 3 0 0 social assistance hotline of the Ministry of Social Development and Human Security.",
        "my": "လူမှုဖွံ့ဖြိုးရေးနှင့် လူ့လုံခြုံရေး ဝန်ကြီးဌာန၏ 1 3 0 0 လူမှုအကူအညီ ဖုန်းလိုင်းမှ ကြိုဆိုပါသည်။",
        "km": "សូមស្វាគមន៍មកកាន់ខ្សែទូរស័ព្ទជំនួយសង្គម 1 3 0 0 របស់ក្រសួងអភិវឌ្ឍន៍សង្គម និងសន្តិសុខមនុស្ស។",
        "lo": "ຍິນດີຕ້ອນຮັບສູ່ສາຍດ່ວນຊ່ວຍເຫຼືອສັງຄົມ 1 3 0 0 ຂອງກະຊວງການພັດທະນາສັງຄົມ ແລະ ຄວາມໝັ້ນຄົງຂອງມະນຸດ.",
    },
    # Each language's own line of the language menu, said in that language.
    "choose_language": {
        "th": "ภาษาไทย กด 1",
        "en": "For English, press 2.",
        "my": "မြန်မာဘာသာအတွက် 3 ကို နှိပ်ပါ။",
        "km": "សម្រាប់ភាសាខ្មែរ សូមចុចលេខ 4។",
        "lo": "ສຳລັບພາສາລາວ ກົດ 5.",
    },
    "main_menu": {
        "th": "แจ้งเหตุการค้ามนุษย์ กด 1. ขอความช่วยเหลือเรื่องอื่น หรือคุยกับเจ้าหน้าที่ กด 2. ฟังอีกครั้ง กด 9.",
        "en": "To report human trafficking, press 1. For other help, or to talk to an operator, press 2. To hear this again, press 9.",
        "my": ("လူကုန်ကူးမှုကို တိုင်ကြားရန် 1 ကို နှိပ်ပါ။ အခြားအကူအညီအတွက် သို့မဟုတ် တာဝန်ရှိသူနှင့် စကားပြောရန် 2 ကို နှိပ်ပါ။ "
               "ထပ်မံနားထောင်ရန် 9 ကို နှိပ်ပါ။"),
        "km": ("ដើម្បីរាយការណ៍អំពីការជួញដូរមនុស្ស សូមចុចលេខ 1។ សម្រាប់ជំនួយផ្សេងទៀត ឬដើម្បីនិយាយជាមួយបុគ្គលិក សូមចុចលេខ 2។ "
               "ដើម្បីស្តាប់ម្តងទៀត សូមចុចលេខ 9។"),
        "lo": "ເພື່ອແຈ້ງເຫດການຄ້າມະນຸດ ກົດ 1. ສຳລັບການຊ່ວຍເຫຼືອອື່ນໆ ຫຼື ເພື່ອລົມກັບເຈົ້າໜ້າທີ່ ກົດ 2. ເພື່ອຟັງອີກຄັ້ງ ກົດ 9.",
    },
    "kind_menu": {
        "th": (
            "หากมีคนตกอยู่ในอันตรายตอนนี้ กด 1 เพื่อคุยกับเจ้าหน้าที่ทันที. "
            "การแสวงหาประโยชน์ทางเพศ กด 2. "
            "การบังคับใช้แรงงานหรือบริการ รวมถึงการทำงานใช้หนี้ หรือถูกยึดเอกสาร กด 3. "
            "การบังคับให้เป็นขอทาน กด 4. "
            "การเอาคนลงเป็นทาส กด 5. "
            "การบังคับตัดอวัยวะ กด 6. "
            "การบังคับให้ทำงานในแก๊งหลอกลวงหรือแก๊งคอลเซ็นเตอร์ กด 7. "
            "การแสวงหาประโยชน์จากเด็ก กด 8. "
            "เรื่องอื่น กด 9. คุยกับเจ้าหน้าที่ กด 0. ฟังอีกครั้ง กดดอกจัน."
        ),
        "en": (
            "If someone is in danger right now, press 1 to talk to an operator at once. "
            "Sexual exploitation, press 2. "
            "Forced labour or services, including debt bondage or taken documents, press 3. "
            "Forced begging, press 4. "
            "Slavery, press 5. "
            "Forced organ removal, press 6. "
            "Forced work in a scam compound, press 7. "
            "Exploitation of a child, press 8. "
            "Something else, press 9. To talk to an operator, press 0. To hear this again, press star."
        ),
        "my": (
            "ယခုအချိန်တွင် တစ်စုံတစ်ယောက် အန္တရာယ်ကျရောက်နေပါက တာဝန်ရှိသူနှင့် ချက်ချင်းစကားပြောရန် 1 ကို နှိပ်ပါ။ "
            "လိင်ပိုင်းဆိုင်ရာ အမြတ်ထုတ်ခံရမှုအတွက် 2 ကို နှိပ်ပါ။ "
            "အကြွေးဖြင့် ချည်နှောင်ခံရခြင်း သို့မဟုတ် စာရွက်စာတမ်းများ သိမ်းယူခံရခြင်း အပါအဝင် "
            "အတင်းအကြပ် အလုပ်ခိုင်းစေခံရမှု သို့မဟုတ် ဝန်ဆောင်မှုပေးစေခံရမှုအတွက် 3 ကို နှိပ်ပါ။ "
            "အတင်းအကြပ် တောင်းစားခိုင်းခံရမှုအတွက် 4 ကို နှိပ်ပါ။ "
            "ကျွန်ပြုခံရမှုအတွက် 5 ကို နှိပ်ပါ။ "
            "ကိုယ်တွင်းအင်္ဂါများကို အတင်းအကြပ် ထုတ်ယူခံရမှုအတွက် 6 ကို နှိပ်ပါ။ "
            "လိမ်လည်ရေးစခန်းတွင် အတင်းအကြပ် အလုပ်ခိုင်းခံရမှုအတွက် 7 ကို နှိပ်ပါ။ "
            "ကလေးသူငယ်ကို အမြတ်ထုတ်မှုအတွက် 8 ကို နှိပ်ပါ။ "
            "အခြားကိစ္စအတွက် 9 ကို နှိပ်ပါ။ တာဝန်ရှိသူနှင့် စကားပြောရန် 0 ကို နှိပ်ပါ။ ထပ်မံနားထောင်ရန် ကြယ်ပွင့်ခလုတ်ကို နှိပ်ပါ။"
        ),
        "km": (
            "ប្រសិនបើមាននរណាម្នាក់កំពុងស្ថិតក្នុងគ្រោះថ្នាក់ឥឡូវនេះ សូមចុចលេខ 1 ដើម្បីនិយាយជាមួយបុគ្គលិកភ្លាមៗ។ "
            "ការកេងប្រវ័ញ្ចផ្លូវភេទ សូមចុចលេខ 2។ "
            "ការបង្ខំឱ្យធ្វើការ ឬផ្តល់សេវា រួមទាំងការធ្វើការសងបំណុល ឬការរឹបអូសឯកសារ សូមចុចលេខ 3។ "
            "ការបង្ខំឱ្យសុំទាន សូមចុចលេខ 4។ "
            "ទាសភាព សូមចុចលេខ 5។ "
            "ការបង្ខំយកសរីរាង្គ សូមចុចលេខ 6។ "
            "ការបង្ខំឱ្យធ្វើការនៅទីតាំងឆបោក សូមចុចលេខ 7។ "
            "ការកេងប្រវ័ញ្ចលើកុមារ សូមចុចលេខ 8។ "
            "រឿងផ្សេងទៀត សូមចុចលេខ 9។ ដើម្បីនិយាយជាមួយបុគ្គលិក សូមចុចលេខ 0។ ដើម្បីស្តាប់ម្តងទៀត សូមចុចសញ្ញាផ្កាយ។"
        ),
        "lo": (
            "ຖ້າມີຄົນຕົກຢູ່ໃນອັນຕະລາຍຕອນນີ້ ກົດ 1 ເພື່ອລົມກັບເຈົ້າໜ້າທີ່ທັນທີ. "
            "ການຂູດຮີດທາງເພດ ກົດ 2. "
            "ການບັງຄັບໃຊ້ແຮງງານ ຫຼື ບໍລິການ ລວມທັງການເຮັດວຽກໃຊ້ໜີ້ ຫຼື ຖືກຍຶດເອກະສານ ກົດ 3. "
            "ການບັງຄັບໃຫ້ເປັນຂໍທານ ກົດ 4. "
            "ການເອົາຄົນລົງເປັນຂ້າທາດ ກົດ 5. "
            "ການບັງຄັບຕັດເອົາອະໄວຍະວະ ກົດ 6. "
            "ການບັງຄັບໃຫ້ເຮັດວຽກໃນແກ໊ງຕົ້ມຕຸ໋ນ ກົດ 7. "
            "ການຂູດຮີດເດັກ ກົດ 8. "
            "ເລື່ອງອື່ນ ກົດ 9. ລົມກັບເຈົ້າໜ້າທີ່ ກົດ 0. ຟັງອີກຄັ້ງ ກົດດອກຈັນ."
        ),
    },
    "postcode": {
        "th": "กรุณากดรหัสไปรษณีย์ 5 หลักของสถานที่เกิดเหตุ หากไม่ทราบ กดเครื่องหมายสี่เหลี่ยม",
        "en": "Please enter the 5-digit postcode of the place where this is happening. If you do not know it, press hash.",
        "my": "ဖြစ်ပွားနေသည့်နေရာ၏ ဂဏန်း 5 လုံးပါ စာပို့သင်္ကေတကို နှိပ်ထည့်ပါ။ မသိပါက ဟက်ရှ်ခလုတ်ကို နှိပ်ပါ။",
        "km": "សូមបញ្ចូលលេខកូដប្រៃសណីយ៍ 5 ខ្ទង់ នៃទីកន្លែងដែលហេតុការណ៍នេះកំពុងកើតឡើង។ ប្រសិនបើអ្នកមិនដឹង សូមចុចសញ្ញាការ៉េ។",
        "lo": "ກະລຸນາກົດລະຫັດໄປສະນີ 5 ຕົວເລກ ຂອງສະຖານທີ່ເກີດເຫດ. ຖ້າບໍ່ຮູ້ ກົດເຄື່ອງໝາຍສີ່ຫຼ່ຽມ.",
    },
    "postcode_retry": {
        "th": "ไม่พบรหัสไปรษณีย์นี้ กรุณากดอีกครั้ง",
        "en": "We could not find that postcode. Please try again.",
        "my": "ထိုစာပို့သင်္ကေတကို ရှာမတွေ့ပါ။ ထပ်မံကြိုးစားပါ။",
        "km": "យើងរកមិនឃើញលេខកូដប្រៃសណីយ៍នោះទេ។ សូមព្យាយាមម្តងទៀត។",
        "lo": "ບໍ່ພົບລະຫັດໄປສະນີນີ້. ກະລຸນາລອງອີກຄັ້ງ.",
    },
    "postcode_thanks": {
        "th": "ขอบคุณค่ะ",
        "en": "Thank you.",
        "my": "ကျေးဇူးတင်ပါသည်။",
        "km": "សូមអរគុណ។",
        "lo": "ຂອບໃຈ.",
    },
    "consent": {
        "th": "หากเจ้าหน้าที่โทรกลับมาที่หมายเลขนี้ จะปลอดภัยสำหรับคุณหรือไม่ ปลอดภัย กด 1 ไม่ปลอดภัย กด 2",
        "en": "Is it safe for us to call you back on this number? If it is safe, press 1. If it is not safe, press 2.",
        "my": "ဤဖုန်းနံပါတ်သို့ ကျွန်ုပ်တို့ ပြန်လည်ဖုန်းဆက်ရန် လုံခြုံပါသလား။ လုံခြုံပါက 1 ကို နှိပ်ပါ။ မလုံခြုံပါက 2 ကို နှိပ်ပါ။",
        "km": ("តើមានសុវត្ថិភាពទេ ប្រសិនបើយើងទូរស័ព្ទត្រឡប់មកលេខនេះវិញ? ប្រសិនបើមានសុវត្ថិភាព សូមចុចលេខ 1។ "
               "ប្រសិនបើមិនមានសុវត្ថិភាព សូមចុចលេខ 2។"),
        "lo": "ປອດໄພບໍ ຖ້າພວກເຮົາໂທກັບຫາທ່ານທີ່ເບີນີ້? ຖ້າປອດໄພ ກົດ 1. ຖ້າບໍ່ປອດໄພ ກົດ 2.",
    },
    "record": {
        "th": "หลังเสียงสัญญาณ กรุณาเล่าสิ่งที่เกิดขึ้น ที่ไหน ใคร กี่คน เมื่อพูดจบ กดเครื่องหมายสี่เหลี่ยม",
        "en": "After the tone, tell us what is happening: where, who, and how many people. Press hash when you have finished.",
        "my": ("အချက်ပေးသံ မြည်ပြီးနောက် ဖြစ်ပျက်နေသည့်အကြောင်း၊ မည်သည့်နေရာ၊ မည်သူ၊ လူဘယ်နှစ်ယောက်ဆိုသည်ကို ပြောပြပါ။ "
               "ပြောပြီးပါက ဟက်ရှ်ခလုတ်ကို နှိပ်ပါ။"),
        "km": ("បន្ទាប់ពីសំឡេងប៊ីប សូមប្រាប់យើងពីអ្វីដែលកំពុងកើតឡើង៖ នៅឯណា នរណា និងមានមនុស្សប៉ុន្មាននាក់។ "
               "នៅពេលអ្នកនិយាយចប់ សូមចុចសញ្ញាការ៉េ។"),
        "lo": "ຫຼັງຈາກສຽງສັນຍານ ກະລຸນາເລົ່າສິ່ງທີ່ເກີດຂຶ້ນ: ຢູ່ໃສ ແມ່ນໃຜ ແລະ ມີຈັກຄົນ. ເມື່ອເວົ້າຈົບແລ້ວ ກົດເຄື່ອງໝາຍສີ່ຫຼ່ຽມ.",
    },
    "invalid": {
        "th": "ขออภัย ไม่มีตัวเลือกนี้",
        "en": "Sorry, that is not one of the choices.",
        "my": "တောင်းပန်ပါသည်၊ ထိုခလုတ်သည် ရွေးချယ်စရာများထဲတွင် မပါဝင်ပါ။",
        "km": "សូមអភ័យទោស នោះមិនមែនជាជម្រើសមួយក្នុងចំណោមជម្រើសទាំងនេះទេ។",
        "lo": "ຂໍອະໄພ ບໍ່ມີຕົວເລືອກນີ້.",
    },
    "no_input": {
        "th": "ขออภัย ไม่ได้ยินการกดปุ่ม",
        "en": "Sorry, we did not hear a choice.",
        "my": "တောင်းပန်ပါသည်၊ ခလုတ်နှိပ်သံ မကြားရပါ။",
        "km": "សូមអភ័យទោស យើងមិនបានឮការជ្រើសរើសរបស់អ្នកទេ។",
        "lo": "ຂໍອະໄພ ບໍ່ໄດ້ຍິນການກົດປຸ່ມ.",
    },
    # A case's reference and, with no case (other help), the call's own number: never named alike, so a caller
    # does not quote a call number as a case.
    "reference": {
        "th": "ขอบคุณที่แจ้งเหตุ หมายเลขอ้างอิงเรื่องของคุณคือ",
        "en": "Thank you for your report. Your case reference is",
        "my": "တိုင်ကြားပေးသည့်အတွက် ကျေးဇူးတင်ပါသည်။ သင့်အမှု ရည်ညွှန်းနံပါတ်မှာ",
        "km": "សូមអរគុណសម្រាប់របាយការណ៍របស់អ្នក។ លេខយោងករណីរបស់អ្នកគឺ",
        "lo": "ຂອບໃຈທີ່ແຈ້ງເຫດ. ເລກອ້າງອີງເລື່ອງຂອງທ່ານແມ່ນ",
    },
    "reference_again": {
        "th": "ขอทวนหมายเลขอ้างอิงเรื่องของคุณอีกครั้ง",
        "en": "Again, your case reference is",
        "my": "ထပ်မံ၍ သင့်အမှု ရည်ညွှန်းနံပါတ်မှာ",
        "km": "ម្តងទៀត លេខយោងករណីរបស់អ្នកគឺ",
        "lo": "ຂໍທວນອີກຄັ້ງ ເລກອ້າງອີງເລື່ອງຂອງທ່ານແມ່ນ",
    },
    "call_number": {
        "th": "ขอบคุณที่โทรมา หมายเลขการโทรของคุณคือ",
        "en": "Thank you for calling. Your call number is",
        "my": "ဖုန်းဆက်သည့်အတွက် ကျေးဇူးတင်ပါသည်။ သင့်ဖုန်းခေါ်ဆိုမှု နံပါတ်မှာ",
        "km": "សូមអរគុណសម្រាប់ការហៅទូរស័ព្ទមក។ លេខនៃការហៅរបស់អ្នកគឺ",
        "lo": "ຂອບໃຈທີ່ໂທມາ. ເລກການໂທຂອງທ່ານແມ່ນ",
    },
    "call_number_again": {
        "th": "ขอทวนหมายเลขการโทรของคุณอีกครั้ง",
        "en": "Again, your call number is",
        "my": "ထပ်မံ၍ သင့်ဖုန်းခေါ်ဆိုမှု နံပါတ်မှာ",
        "km": "ម្តងទៀត លេខនៃការហៅរបស់អ្នកគឺ",
        "lo": "ຂໍທວນອີກຄັ້ງ ເລກການໂທຂອງທ່ານແມ່ນ",
    },
    "operator_offer": {
        "th": "หากต้องการคุยกับเจ้าหน้าที่ตอนนี้ กด 0",
        "en": "To talk to an operator now, press 0.",
        "my": "ယခု တာဝန်ရှိသူနှင့် စကားပြောလိုပါက 0 ကို နှိပ်ပါ။",
        "km": "ដើម្បីនិយាយជាមួយបុគ្គលិកឥឡូវនេះ សូមចុចលេខ 0។",
        "lo": "ຖ້າຕ້ອງການລົມກັບເຈົ້າໜ້າທີ່ຕອນນີ້ ກົດ 0.",
    },
    "goodbye": {
        "th": "หากคุณหรือผู้อื่นตกอยู่ในอันตราย โทร หนึ่ง เก้า หนึ่ง หรือ หนึ่ง สาม ศูนย์ ศูนย์ ได้ตลอด 24 ชั่วโมง ขอบคุณค่ะ",
        "en": "If you or anyone else is in danger, call 1 9 1, or 1 3 0 0, at any time, day or night. Thank you. Goodbye.",
        "my": ("သင် သို့မဟုတ် အခြားမည်သူမဆို အန္တရာယ်ကျရောက်နေပါက 1 9 1 သို့မဟုတ် 1 3 0 0 ကို နေ့ညမရွေး "
               "အချိန်မရွေး ဖုန်းဆက်ပါ။ ကျေးဇူးတင်ပါသည်။ နှုတ်ဆက်ပါသည်။"),
        "km": ("ប្រសិនបើអ្នក ឬនរណាម្នាក់ផ្សេងទៀតកំពុងស្ថិតក្នុងគ្រោះថ្នាក់ សូមទូរស័ព្ទទៅលេខ 1 9 1 ឬ 1 3 0 0 "
               "បានគ្រប់ពេល ទាំងថ្ងៃ ទាំងយប់។ សូមអរគុណ។ លាហើយ។"),
        "lo": "ຖ້າທ່ານ ຫຼື ຄົນອື່ນຕົກຢູ່ໃນອັນຕະລາຍ ໂທ 1 9 1 ຫຼື 1 3 0 0 ໄດ້ທຸກເວລາ ທັງກາງເວັນ ແລະ ກາງຄືນ. ຂອບໃຈ. ລາກ່ອນ.",
    },
    "operator_connect": {
        "th": "กรุณารอสักครู่ กำลังโอนสายไปยังเจ้าหน้าที่",
        "en": "Please hold. We are connecting you to an operator.",
        "my": "ခဏစောင့်ပါ။ တာဝန်ရှိသူထံ ဖုန်းလွှဲပေးနေပါသည်။",
        "km": "សូមរង់ចាំបន្តិច។ យើងកំពុងភ្ជាប់អ្នកទៅកាន់បុគ្គលិក។",
        "lo": "ກະລຸນາລໍຖ້າ. ກຳລັງໂອນສາຍໄປຫາເຈົ້າໜ້າທີ່.",
    },
    "urgent_connect": {
        "th": "เรากำลังโอนสายไปยังเจ้าหน้าที่ทันที กรุณาอย่าวางสาย",
        "en": "We are connecting you to an operator right now. Please stay on the line.",
        "my": "တာဝန်ရှိသူထံ ယခုချက်ချင်း ဖုန်းလွှဲပေးနေပါသည်။ ဖုန်းမချဘဲ စောင့်ပါ။",
        "km": "យើងកំពុងភ្ជាប់អ្នកទៅកាន់បុគ្គលិកភ្លាមៗ។ សូមកុំដាក់ទូរស័ព្ទចុះ។",
        "lo": "ກຳລັງໂອນສາຍໄປຫາເຈົ້າໜ້າທີ່ທັນທີ. ກະລຸນາຢ່າວາງສາຍ.",
    },
    "hold_place": {
        "th": "ขอบคุณที่รอสาย เจ้าหน้าที่จะรับสายโดยเร็วที่สุด ท่านอยู่ลำดับที่",
        "en": "Thank you for waiting. An operator will answer as soon as possible. You are number",
        "my": "စောင့်ဆိုင်းပေးသည့်အတွက် ကျေးဇူးတင်ပါသည်။ တာဝန်ရှိသူ အမြန်ဆုံး ဖြေကြားပါမည်။ သင်သည် နံပါတ်",
        "km": "សូមអរគុណសម្រាប់ការរង់ចាំ។ បុគ្គលិកនឹងឆ្លើយតបឱ្យបានឆាប់បំផុត។ អ្នកជាលេខ",
        "lo": "ຂອບໃຈທີ່ລໍຖ້າ. ເຈົ້າໜ້າທີ່ຈະຮັບສາຍໄວທີ່ສຸດ. ທ່ານຢູ່ລຳດັບທີ",
    },
    "hold_next": {
        "th": "ขอบคุณที่รอสาย ท่านเป็นลำดับถัดไป กรุณาอย่าวางสาย",
        "en": "Thank you for waiting. You are next in line. Please stay on the line.",
        "my": "စောင့်ဆိုင်းပေးသည့်အတွက် ကျေးဇူးတင်ပါသည်။ သင်သည် နောက်တစ်ယောက် ဖြစ်ပါသည်။ ဖုန်းမချပါနှင့်။",
        "km": "សូមអរគុណសម្រាប់ការរង់ចាំ។ អ្នកគឺជាវេនបន្ទាប់។ សូមកុំដាក់ទូរស័ព្ទចុះ។",
        "lo": "ຂອບໃຈທີ່ລໍຖ້າ. ທ່ານເປັນຄິວຕໍ່ໄປ. ກະລຸນາຢ່າວາງສາຍ.",
    },
    "leave_offer": {
        "th": "ขออภัยที่ต้องรอนาน หากต้องการฝากข้อความ กด 1 หากต้องการรอเจ้าหน้าที่ต่อ กด 2 หรืออยู่ในสาย",
        "en": "Sorry to keep you waiting. To leave a message, press 1. To keep waiting for an operator, press 2 or stay on the line.",
        "my": ("စောင့်ဆိုင်းရသည့်အတွက် တောင်းပန်ပါသည်။ သတင်းစကား ချန်ထားလိုပါက 1 ကို နှိပ်ပါ။ "
               "တာဝန်ရှိသူကို ဆက်စောင့်လိုပါက 2 ကို နှိပ်ပါ သို့မဟုတ် ဖုန်းမချဘဲ စောင့်ပါ။"),
        "km": ("សូមអភ័យទោសដែលឱ្យអ្នករង់ចាំយូរ។ ដើម្បីទុកសារ សូមចុច 1។ "
               "ដើម្បីបន្តរង់ចាំបុគ្គលិក សូមចុច 2 ឬនៅលើខ្សែ។"),
        "lo": "ຂໍອະໄພທີ່ໃຫ້ລໍຖ້າດົນ. ຖ້າຕ້ອງການຝາກຂໍ້ຄວາມ ກົດ 1. ຖ້າຕ້ອງການລໍຖ້າເຈົ້າໜ້າທີ່ຕໍ່ ກົດ 2 ຫຼື ຢູ່ໃນສາຍ.",
    },
    "operator_busy": {
        "th": "ขออภัย เจ้าหน้าที่ยังไม่ว่าง กรุณาฝากข้อความไว้ เจ้าหน้าที่จะดำเนินการโดยเร็วที่สุด",
        "en": "Sorry, no operator is free right now. Please leave a message and we will act on it as soon as we can.",
        "my": ("တောင်းပန်ပါသည်၊ ယခု အားလပ်နေသည့် တာဝန်ရှိသူ မရှိပါ။ သတင်းစကား ချန်ထားခဲ့ပါ။ "
               "တတ်နိုင်သမျှ အမြန်ဆုံး ဆောင်ရွက်ပေးပါမည်။"),
        "km": "សូមអភ័យទោស ពេលនេះមិនមានបុគ្គលិកទំនេរទេ។ សូមទុកសារ ហើយយើងនឹងចាត់វិធានការឱ្យបានឆាប់តាមដែលអាចធ្វើបាន។",
        "lo": "ຂໍອະໄພ ຕອນນີ້ເຈົ້າໜ້າທີ່ຍັງບໍ່ຫວ່າງ. ກະລຸນາຝາກຂໍ້ຄວາມໄວ້ ແລ້ວພວກເຮົາຈະດຳເນີນການໄວທີ່ສຸດ.",
    },
}

# What the language menu's own line means in English differs per language; Twilio says it until the line is recorded.
ENGLISH_MEANING = {"choose_language": {"th": "For Thai, press 1.", "my": "For Burmese, press 3.", "km": "For Khmer, press 4.",
                                       "lo": "For Lao, press 5."}}

# Digits read back one by one; recorded languages play digit_0 ... digit_9.
DIGITS = {
    "th": ["ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"],
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "my": ["သုည", "တစ်", "နှစ်", "သုံး", "လေး", "ငါး", "ခြောက်", "ခုနစ်", "ရှစ်", "ကိုး"],
    "km": ["សូន្យ", "មួយ", "ពីរ", "បី", "បួន", "ប្រាំ", "ប្រាំមួយ", "ប្រាំពីរ", "ប្រាំបី", "ប្រាំបួន"],
    "lo": ["ສູນ", "ໜຶ່ງ", "ສອງ", "ສາມ", "ສີ່", "ຫ້າ", "ຫົກ", "ເຈັດ", "ແປດ", "ເກົ້າ"],
}


WITHOUT_A_CASE = {"reference": "call_number", "reference_again": "call_number_again"}


def text(key: str, language: str) -> str:
    """What Twilio says for a prompt: the language's words where Twilio speaks it, else (no recording) English."""
    if language in SPOKEN:
        return TEXT[key].get(language) or TEXT[key]["en"]
    return meaning(key, language)


def words(key: str, language: str) -> str:
    """The prompt in the language's own script, what its recording says ("" while nobody has written it).
    `key` may be `digit_<d>`."""
    if key.startswith("digit_"):
        return DIGITS.get(language, [""] * 10)[int(key.removeprefix("digit_"))]
    return TEXT[key].get(language, "")


def meaning(key: str, language: str) -> str:
    """The prompt's words in English: the English prompt, except for the lines that say something else per language."""
    return ENGLISH_MEANING.get(key, {}).get(language) or words(key, "en")


def recording_keys() -> list[str]:
    """Every file a recorded language needs, in the menu's order, for the kit and `flask ivr prompts`."""
    return list(TEXT) + [f"digit_{d}" for d in range(10)]


@dataclass(frozen=True)
class ScriptLine:
    """One line of a voice artist's script."""

    key: str
    file: str  # where the app looks for it under PROMPTS_DIR, e.g. my/kind_menu.mp3
    words: str
    english: str


def script(language: str) -> list[ScriptLine]:
    """What a voice artist records for one language, prompt by prompt."""
    return [ScriptLine(key, f"{language}/{key}{AUDIO_SUFFIXES[0]}", words(key, language), meaning(key, language))
            for key in recording_keys()]


def is_recording(path: Path) -> bool:
    """An audio file Twilio can play: an empty one (a placeholder, a failed copy) would leave the caller in silence."""
    return path.suffix in AUDIO_SUFFIXES and path.is_file() and path.stat().st_size > 0


def recording(folder: Path, language: str, key: str) -> Path | None:
    """The recording of a prompt under PROMPTS_DIR, if there is one."""
    for suffix in AUDIO_SUFFIXES:
        path = folder / language / f"{key}{suffix}"
        if is_recording(path):
            return path
    return None
