"""A class: student machines from an inventory, labs run on all of them, a gradebook, class exams."""
