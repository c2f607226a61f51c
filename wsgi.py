from casework.config import settings_or_exit
from hotline import create_app

app = create_app(settings_or_exit("hotline"))
