"""Classification of a report: the text (segmentation, keyword rules, similarity), the
classifier trained on history, and how the report forms use its suggestion.

One way: ``text`` <- ``classifier`` (the suggestion: model or keyword rules) <- ``suggestions``."""
