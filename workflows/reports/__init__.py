"""Reports for the province (issue 23 item 4): the QĐ 766 indicators, and the registers and statistics as
XLSX and PDF in the layout a province files."""
