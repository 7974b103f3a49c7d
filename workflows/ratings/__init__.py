"""Citizens' satisfaction ratings of finished dossiers and the QĐ 766 satisfaction indicator."""
