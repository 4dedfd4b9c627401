"""What the import commands print about an import: one wording for both."""

from django.core.management.base import BaseCommand, CommandError

from klockaretorpet.sheet_import import ImportOutcome


def report_outcome(
    command: BaseCommand, outcome: ImportOutcome, *, summary: str, dry_run: bool, whole: str
) -> None:
    """Print the changes (or the problems, then fail) and what the file leaves out."""
    if outcome.sheet_name:
        command.stdout.write(f"Bladet ”{outcome.sheet_name}” lästes.")
    if not outcome.ok:
        for problem in outcome.problems:
            command.stderr.write(problem)
        if outcome.refused:
            raise CommandError("Inget importerades: filen avvisades.")
        raise CommandError(f"Inget importerades ({summary}).")
    for change in outcome.changes:
        command.stdout.write(change)
    if outcome.absent:
        command.stdout.write(
            f"Finns i {whole} men inte i filen (lämnas som de är): {'; '.join(outcome.absent)}"
        )
    verb = "Skulle importeras" if dry_run else "Importerat"
    command.stdout.write(f"{verb}: {summary}.")
