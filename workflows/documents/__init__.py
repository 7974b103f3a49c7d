"""Official documents of a dossier: the forms Mẫu 01–07 of TT 03/2025/TT-VPCP as PDF (`render`), the
content-addressed file store (`storage`) and the `dossier_document` records (`models`, `service`)."""
