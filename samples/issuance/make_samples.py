#!/usr/bin/env python3
"""Writes the demo issuance CSVs in this folder, deterministically.

Every person is fictional. IINs are built from a birth date, the century/sex digit and a serial,
with the check digit computed as Kazakhstan's IIN rules define it (weights 1..11, then 3..11,1,2).
"""
import csv
import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def check_digit(d):
    s = sum((i + 1) * x for i, x in enumerate(d)) % 11
    if s == 10:
        w = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        s = sum(a * b for a, b in zip(w, d)) % 11
    return None if s == 10 else s


def iin(yy, mm, dd, century_sex, serial):
    while True:
        prefix = f"{yy:02d}{mm:02d}{dd:02d}{century_sex}{serial:04d}"
        k = check_digit([int(c) for c in prefix])
        if k is not None:
            return prefix + str(k)
        serial += 1


KZ_SURNAMES = ["Жұмабаев", "Серікбаев", "Нұрланов", "Әбілқасымов", "Қайратов", "Оспанов", "Бекболатов", "Төлегенов"]
KZ_GIVEN_M = ["Данияр", "Нұрсұлтан", "Әлихан", "Ерасыл", "Айбек"]
KZ_GIVEN_F = ["Әсел", "Гүлжаһан", "Айгерім", "Жансая", "Ақбота"]
RU_SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов"]
RU_GIVEN_M = ["Алексей", "Дмитрий", "Сергей", "Пётр"]
RU_GIVEN_F = ["Анна", "Мария", "Елена", "Ольга"]


def write(name, rows, header, encoding="utf-8", delimiter=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(buf.getvalue().encode(encoding))


def school_class():
    rows = []
    for n in range(24):
        female = n % 2 == 0
        surname = KZ_SURNAMES[n % len(KZ_SURNAMES)] + ("а" if female else "")
        given = (KZ_GIVEN_F if female else KZ_GIVEN_M)[n % 5]
        grades = [5, 5, 5, 5] if n % 6 == 0 else [5, 4, 5, 4 + (n % 2)]
        subjects = "; ".join(f"{s}:{g}" for s, g in zip(["Қазақ тілі", "Алгебра", "Физика", "Қазақстан тарихы"], grades))
        rows.append([
            f"{surname} {given}", iin(8, 1 + n % 12, 1 + n, 6 if female else 5, 100 + n), "general_secondary",
            "№ 25 мектеп-гимназиясы, Астана", "2014-09-01", "2026-05-25", "2026-06-20", "ЖОБ", f"{12000 + n:07d}",
            "altyn_belgi" if n % 6 == 0 else "", subjects,
        ])
    write("school-class.csv", rows, ["full_name", "iin", "level", "school", "study_start", "study_end", "issued_on",
                                     "series", "number", "honours", "subjects"])


def college_group():
    rows = []
    for n in range(12):
        female = n % 2 == 1
        surname = RU_SURNAMES[n % len(RU_SURNAMES)] + ("а" if female else "")
        given = (RU_GIVEN_F if female else RU_GIVEN_M)[n % 4]
        courses = [("Программирование", 5, "A", 4.0), ("Базы данных", 4, "B+", 3.33), ("Сети", 3, "B", 3.0)]
        gpa = sum(c * p for _, c, _, p in courses) / sum(c for _, c, _, _ in courses)
        rows.append([
            f"{surname} {given}", iin(5, 1 + n % 12, 10 + n, 6 if female else 5, 200 + n),
            "tvet", "Колледж связи, Алматы", "06130100", "Программное обеспечение", "Техник-программист",
            "2021-09-01", "2025-06-20", "2025-06-30", "ТКБ", f"{3000 + n:07d}", f"K-2025-{n:03d}", "нет",
            "; ".join(f"{a}|{c}|{l}|{p:.2f}" for a, c, l, p in courses), f"{gpa:.2f}".replace(".", ","),
        ])
    # Russian-locale Excel: Windows-1251, semicolons.
    write("college-group-cp1251.csv", rows, ["full_name", "iin", "level", "institution", "specialty_code",
                                              "specialty_name", "qualification", "study_start", "study_end",
                                              "issued_on", "series", "number", "registration_number", "honours",
                                              "courses", "gpa"], encoding="cp1251", delimiter=";")


def university_cohort():
    rows = []
    specialties = [("6B06101", "Ақпараттық жүйелер", "Ақпараттық-коммуникациялық технологиялар бакалавры"),
                   ("6B01101", "Педагогика және психология", "Білім беру бакалавры")]
    for n in range(16):
        female = n % 2 == 1
        surname = KZ_SURNAMES[(n + 3) % len(KZ_SURNAMES)] + ("а" if female else "")
        given = (KZ_GIVEN_F if female else KZ_GIVEN_M)[(n + 2) % 5]
        code, name, qualification = specialties[n % 2]
        courses = [("Алгоритмдер", 6, "A", 4.0), ("Деректер қоры", 5, "A-", 3.67), ("Желілер", 4, "B+" if n % 3 else "A", 3.33 if n % 3 else 4.0)]
        gpa = sum(c * p for _, c, _, p in courses) / sum(c for _, c, _, _ in courses)
        rows.append([
            f"{surname} {given}", iin(2, 1 + n % 12, 1 + n, 6 if female else 5, 500 + n), "bachelor",
            "Әл-Фараби атындағы Қазақ ұлттық университеті", code, name, qualification,
            "2020-09-01", "2024-06-15", "2024-06-28", "ЖБ-Б", f"{7000 + n:07d}", f"KAZNU-2024-{n:04d}",
            "иә" if gpa >= 3.5 else "жоқ", "; ".join(f"{a}|{c}|{l}|{p:.2f}" for a, c, l, p in courses), f"{gpa:.2f}",
        ])
    header = ["full_name", "iin", "level", "institution", "specialty_code", "specialty_name", "qualification",
              "study_start", "study_end", "issued_on", "series", "number", "registration_number", "honours",
              "courses", "gpa"]
    write("university-cohort.csv", rows, header)
    write_xlsx("university-cohort.xlsx", rows, header)


def write_xlsx(name, rows, header):
    """The same cohort as an Excel workbook, the way registrars keep it: dates as date cells, and
    some IINs typed as numbers (which drops their leading zero). Needs openpyxl; skipped without."""
    try:
        import datetime
        import openpyxl
    except ImportError:
        print(f"openpyxl is not installed; {name} not regenerated")
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cohort"
    ws.append(header)
    for i, row in enumerate(rows):
        cells = list(row)
        for c in (7, 8, 9):  # study_start, study_end, issued_on
            cells[c] = datetime.date.fromisoformat(cells[c])
        if i % 2 == 0:
            cells[1] = int(cells[1])  # typed as a number
        cells[15] = float(cells[15])
        ws.append(cells)
    for c in ws["H"][1:] + ws["I"][1:] + ws["J"][1:]:
        c.number_format = "DD.MM.YYYY"
    # A fixed timestamp keeps the file byte-for-byte reproducible.
    wb.properties.created = wb.properties.modified = datetime.datetime(2026, 1, 1)
    wb.save(os.path.join(HERE, name))


def guardianship_acts():
    rows = []
    for n in range(4):
        child_year = 2015 - n * 2  # born in May; on 3 February 2026: 10, 12, 14, 16 years old
        age_at_start = 2026 - child_year - 1
        form = "opeka" if age_at_start < 14 else "popechitelstvo"
        rows.append([
            f"{KZ_SURNAMES[n]}а Гүлнар", iin(85, 7, 20 + n, 4, 300 + n), "", "",
            f"{KZ_SURNAMES[n]} {KZ_GIVEN_M[n]}", iin(child_year % 100, 5, 10 + n, 5, 400 + n),
            form, f"№ {140 + n}-қ", "2026-02-01", "2026-02-03",
        ])
    write("guardianship-acts.csv", rows, ["guardian_name", "guardian_iin", "guardian2_name", "guardian2_iin",
                                          "child_name", "child_iin", "form", "decision_number", "decision_date",
                                          "start_date"])


if __name__ == "__main__":
    school_class()
    college_group()
    university_cohort()
    guardianship_acts()
