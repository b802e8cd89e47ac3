"""The sources the instruments cite, keyed as in the clinical reference (§0).

Every ``source`` string in this package is made of these keys (``"ASAM-CPG Rec 9"`` starts
with the key ``ASAM-CPG``); a test checks that no key is cited without an entry here.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["APP_RULE", "SOURCES"]

#: The key for Taper Clinic's own choices: not from a published source; say so wherever used.
APP_RULE = "TAPER-CLINIC"

SOURCES: MappingProxyType[str, str] = MappingProxyType(
    {
        "BUSTO-1989": (
            "Busto UE, Sykora K, Sellers EM. A clinical scale to assess benzodiazepine "
            "withdrawal. J Clin Psychopharmacol 1989;9(6):412-6 (CIWA-B)."
        ),
        "CIWAB-FORM": (
            "CIWA-B form as implemented in a TrakCare hospital questionnaire (hospital data "
            "dictionary; cites Busto 1989 and Hulse G et al. J Psychopharmacol 2013;27:222-227). "
            "Secondary, but a verbatim form transcription."
        ),
        "CNT-OPENEMR": (
            "Center for Network Therapy CIWA-B variant in an OpenEMR form (secondary): anchors "
            "NONE / MILD / MODERATE / SEVERE / VERY SEVERE, level of consciousness 1-5."
        ),
        "TYRER-1990": (
            "Tyrer P, Murphy S, Riley P. The Benzodiazepine Withdrawal Symptom Questionnaire. "
            "J Affect Disord 1990. doi:10.1016/0165-0327(90)90009-W."
        ),
        "COUVEE-2002": (
            "Couvee JE, Zitman FG. The BWSQ: psychometric evaluation. Addiction 2002. "
            "doi:10.1046/j.1360-0443.2002.00081.x."
        ),
        "ASAM-CPG": (
            "Joint Clinical Practice Guideline on Benzodiazepine Tapering: Considerations When "
            "Risks Outweigh Benefits. ASAM-led, J Gen Intern Med 2025."
        ),
        "ASAM-PT": "Benzodiazepine Tapering Patient Guide. ASAM / Guideline Central, 2025.",
        "ASHTON-1994": (
            "Ashton H. The treatment of benzodiazepine dependence. Addiction 1994;89:1535-41."
        ),
        "ASHTON-MAN": (
            "Ashton CH. Benzodiazepines: How They Work and How to Withdraw (the Ashton Manual), "
            "revised August 2002."
        ),
        "CLINICAL-REFERENCE": (
            "Taper Clinic clinical reference (shared/clinical-reference.md): §4c escalation "
            "triggers and §7.13-7.15 check-in implications, derived from the sources above."
        ),
        APP_RULE: "Taper Clinic's own rule: not taken from a published source.",
    }
)
