"""QR check-in at stations: activities, rotating signed codes, check-in and check-out, duration awards."""
