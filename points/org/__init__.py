"""The org tree (city → district → street → community → grid), stations and units."""
