from django.contrib import admin

from catalogue.models import Drug, EquivalenceFigure, Product, Source


class ReadOnlyAdmin(admin.ModelAdmin):
    """The catalogue changes through the versioned data files and a migration, not by hand."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("key", "short", "year")


@admin.register(Drug)
class DrugAdmin(ReadOnlyAdmin):
    list_display = ("name", "drug_class", "half_life_low_h", "half_life_high_h")


@admin.register(EquivalenceFigure)
class EquivalenceFigureAdmin(ReadOnlyAdmin):
    list_display = ("drug", "source", "mg", "low", "high", "verified")
    list_filter = ("source", "verified")


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("slug", "country", "drug", "form", "strength_mg", "mg_per_ml", "verified")
    list_filter = ("country", "form", "verified")
