"""The import page: paste a bundle, see what was understood beside the source text, then save
or finish it in the record form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from medications.models import MedicationRecord

pytestmark = pytest.mark.django_db
NOW = "2026-12-03 10:00:00+00:00"
BUNDLES = Path(__file__).parent / "fhir" / "bundles"


def text(name: str) -> str:
    return (BUNDLES / name).read_text()


@time_machine.travel(NOW)
def test_paste_preview_then_save(client, patient, prescriber):
    client.force_login(prescriber)
    url = f"/patients/{patient.pk}/medications/import/"
    page = client.post(
        url, {"bundle": text("02_lorazepam_and_zopiclone.json"), "action": "preview"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "What was understood" in html
    assert "goes into what the patient takes now" in html
    assert not MedicationRecord.objects.exists()
    saved = client.post(
        url,
        {
            "bundle": text("02_lorazepam_and_zopiclone.json"),
            "action": "confirm",
            "reason": "GP summary of 2 Dec",
        },
    )
    assert saved.status_code == 302
    version = MedicationRecord.objects.get().history.get()
    assert version.history_change_reason.endswith("GP summary of 2 Dec")


@time_machine.travel(NOW)
def test_upload_with_unreadable_doses_offers_the_record_form_prefilled(client, patient, prescriber):
    client.force_login(prescriber)
    upload = SimpleUploadedFile(
        "gp.json", text("03_synthea_oxycodone_and_alprazolam.json").encode(), "application/json"
    )
    page = client.post(
        f"/patients/{patient.pk}/medications/import/", {"bundle_file": upload, "action": "preview"}
    )
    html = page.content.decode()
    assert "This bundle cannot be saved as it is" in html
    assert 'data-testid="import-confirm"' not in html
    form_page = client.post(
        f"/patients/{patient.pk}/medications/",
        {"bundle": text("03_synthea_oxycodone_and_alprazolam.json"), "from_import": "1"},
    )
    form = form_page.context["form"]
    assert form["drug_1"].value() == "alprazolam"
    assert form["opioids"].value() is True
    assert "Add these by hand" in form_page.content.decode()
    assert not MedicationRecord.objects.exists()


@time_machine.travel(NOW)
def test_not_json_and_not_fhir_are_explained(client, patient, prescriber):
    client.force_login(prescriber)
    url = f"/patients/{patient.pk}/medications/import/"
    not_json = client.post(url, {"bundle": "{oops", "action": "preview"})
    assert "This is not JSON" in not_json.content.decode()
    not_fhir = client.post(
        url, {"bundle": json.dumps({"resourceType": "Patient"}), "action": "preview"}
    )
    assert "Nothing was imported." in not_fhir.content.decode()


def test_nurse_cannot_open_the_import(client, patient, nurse):
    client.force_login(nurse)
    assert client.get(f"/patients/{patient.pk}/medications/import/").status_code == 403
