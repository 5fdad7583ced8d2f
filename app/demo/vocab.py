"""Word lists the demo data is drawn from.

Built in rather than loaded from a faker library so the demo is identical on every machine and every
version: a given seed must produce the same clinic forever, or screenshots and tests drift. The names
mix the communities a Toronto practice actually serves; the clinical lists use real ICD-10-CM codes so
the coding features have something true to show.
"""

from __future__ import annotations

FEMALE_FIRST = (
    "Olivia", "Emma", "Charlotte", "Amelia", "Sophia", "Chloé", "Léa", "Camille", "Gabrielle", "Élodie",
    "Priya", "Ananya", "Harpreet", "Simran", "Aisha", "Fatima", "Zainab", "Mariam", "Noor", "Layla",
    "Mei", "Xin", "Yuki", "Hana", "Min-ji", "Seo-yeon", "Linh", "Thi", "Maria", "Lucía", "Isabella",
    "Valentina", "Camila", "Ximena", "Ngozi", "Amara", "Chidinma", "Adaeze", "Abena", "Nia", "Imani",
    "Keisha", "Tamika", "Shanice", "Aponi", "Winona", "Kateri", "Siobhan", "Aoife", "Niamh", "Ingrid",
    "Astrid", "Freya", "Elena", "Giulia", "Francesca", "Sofia", "Ana", "Beatriz", "Joana", "Katarzyna",
    "Agnieszka", "Olena", "Natalia", "Svetlana", "Yasmin", "Leila", "Shirin", "Grace", "Hannah", "Emily",
    "Sarah", "Jessica", "Ashley", "Megan", "Rachel", "Rebecca", "Laura", "Jennifer", "Michelle", "Karen",
    "Susan", "Margaret", "Dorothy", "Barbara", "Patricia", "Linda", "Nancy", "Joan", "Evelyn", "Ruth",
    "Rosa", "Carmen", "Guadalupe", "Tala", "Marisol", "Divya", "Kavya", "Deepa", "Lakshmi", "Meera",
    "Ayesha", "Sana", "Hina", "Rutendo", "Thandiwe", "Zoe", "Maya", "Ava", "Mila", "Nora", "Hazel",
)  # fmt: skip

MALE_FIRST = (
    "Liam", "Noah", "William", "Benjamin", "Lucas", "Étienne", "Mathieu", "Olivier", "Jean-Philippe",
    "Félix", "Arjun", "Rohan", "Vikram", "Gurpreet", "Harjit", "Rajesh", "Sanjay", "Mohammed", "Ahmed",
    "Omar", "Yusuf", "Ali", "Hassan", "Bilal", "Wei", "Jun", "Hiroshi", "Kenji", "Min-jun", "Ji-ho",
    "Minh", "Duc", "José", "Carlos", "Mateo", "Santiago", "Diego", "Alejandro", "Chukwuemeka", "Obinna",
    "Kwame", "Kofi", "Tendai", "Jamal", "DeShawn", "Marcus", "Tyrone", "Dakota", "Tecumseh", "Cian",
    "Seamus", "Declan", "Lars", "Erik", "Magnus", "Giovanni", "Luca", "Marco", "João", "Tiago", "Piotr",
    "Tomasz", "Oleksandr", "Dmitri", "Ivan", "Reza", "Dariush", "Kamran", "James", "John", "Robert",
    "Michael", "David", "Richard", "Joseph", "Thomas", "Charles", "Christopher", "Daniel", "Matthew",
    "Andrew", "Joshua", "Kevin", "Brian", "George", "Edward", "Ronald", "Kenneth", "Harold", "Walter",
    "Arthur", "Frank", "Raymond", "Ramón", "Emilio", "Nikhil", "Aditya", "Karthik", "Imran", "Tariq",
    "Farhan", "Sipho", "Thabo", "Ethan", "Owen", "Caleb", "Elijah", "Jack", "Leo", "Theo", "Hugo",
)  # fmt: skip

NEUTRAL_FIRST = ("Alex", "Jordan", "Taylor", "Morgan", "Riley", "Sam", "Jamie", "Avery", "Quinn", "Rowan")

LAST_NAMES = (
    "Smith", "Brown", "Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon", "Johnson", "Taylor",
    "Côté", "Campbell", "Anderson", "Leblanc", "Lee", "Bouchard", "Gauthier", "Morin", "Thompson", "White",
    "Patel", "Singh", "Sharma", "Gill", "Sandhu", "Dhillon", "Grewal", "Kumar", "Shah", "Mehta", "Iyer",
    "Reddy", "Nair", "Chowdhury", "Rahman", "Khan", "Ahmed", "Hussain", "Siddiqui", "Malik", "Qureshi",
    "Haddad", "Khoury", "Nassar", "Mansour", "Farah", "Hosseini", "Rahimi", "Karimi", "Tehrani", "Wang",
    "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Chan", "Wong", "Leung", "Ng",
    "Cheung", "Tanaka", "Suzuki", "Sato", "Nakamura", "Kim", "Park", "Choi", "Jung", "Nguyen", "Tran",
    "Pham", "Le", "Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Silva", "Oliveira",
    "Costa", "Pereira", "Ferreira", "Almeida", "Rossi", "Russo", "Esposito", "Romano", "Colombo", "Ricci",
    "Bianchi", "Okafor", "Okonkwo", "Adeyemi", "Nwosu", "Eze", "Mensah", "Owusu", "Boateng", "Asante",
    "Mwangi", "Otieno", "Abebe", "Tesfaye", "Haile", "Dube", "Ndlovu", "Jackson", "Williams", "Jones",
    "Davis", "Miller", "Moore", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Murphy", "Kelly", "O'Brien",
    "Ryan", "O'Connor", "Walsh", "McCarthy", "Fitzgerald", "Kowalski", "Nowak", "Wiśniewski", "Kovalenko",
    "Shevchenko", "Ivanov", "Petrov", "Popescu", "Horvat", "Novak", "Müller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Larsen", "Hansen", "Johansson",
    "Andersson", "Nilsson", "Eriksson", "Van der Berg", "de Vries", "Janssen", "Papadopoulos", "Georgiou",
    "Yilmaz", "Kaya", "Demir", "Cohen", "Levy", "Friedman", "Goldberg", "Katz", "Begay", "Whitehorse",
    "Cardinal", "Bear", "Littlechild", "Sinclair", "Beaulieu", "Bergeron", "Pelletier", "Lavoie",
    "Fortin", "Gélinas", "Ouellet", "Poirier", "Girard", "Dubois", "Lefebvre", "Moreau", "Fournier",
)  # fmt: skip

LANGUAGES = (
    ("English", 70), ("French", 9), ("Mandarin", 4), ("Cantonese", 3), ("Punjabi", 3), ("Spanish", 2),
    ("Tagalog", 2), ("Arabic", 2), ("Portuguese", 1), ("Italian", 1), ("Tamil", 1), ("Urdu", 1),
    ("Farsi", 1), ("Korean", 1), ("Vietnamese", 1),
)  # fmt: skip

STREET_NAMES = (
    "Queen", "King", "Yonge", "Bloor", "Dundas", "College", "Spadina", "Bathurst", "Dufferin", "Ossington",
    "Danforth", "Kingston", "Eglinton", "Lawrence", "Sheppard", "Finch", "Steeles", "Jane", "Keele",
    "Weston", "Parliament", "Jarvis", "Church", "Sherbourne", "Broadview", "Pape", "Coxwell", "Woodbine",
    "Victoria Park", "Warden", "Birchmount", "Kennedy", "Midland", "Brimley", "McCowan", "Markham",
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Birch", "Willow", "Poplar", "Lakeshore", "Riverside",
    "Hillcrest", "Glenwood", "Rosedale", "Forest Hill", "Highland", "Sunnyside", "Parkview", "Main",
)  # fmt: skip

STREET_TYPES = ("Street", "Avenue", "Road", "Drive", "Boulevard", "Crescent", "Court", "Lane", "Way")

#: (city, region code, postal prefix letters, area codes, weight)
CANADIAN_CITIES = (
    ("Toronto", "ON", "M", ("416", "647", "437"), 40),
    ("Mississauga", "ON", "L", ("905", "289", "365"), 9),
    ("Brampton", "ON", "L", ("905", "289"), 6),
    ("Markham", "ON", "L", ("905", "289"), 5),
    ("Vaughan", "ON", "L", ("905", "289"), 4),
    ("Richmond Hill", "ON", "L", ("905", "289"), 3),
    ("Oakville", "ON", "L", ("905", "289"), 3),
    ("Pickering", "ON", "L", ("905", "289"), 2),
    ("Ajax", "ON", "L", ("905", "289"), 2),
    ("Hamilton", "ON", "L", ("905", "289"), 2),
    ("Oshawa", "ON", "L", ("905", "289"), 1),
    ("Ottawa", "ON", "K", ("613", "343"), 1),
    ("Kitchener", "ON", "N", ("519", "226"), 1),
    ("Montréal", "QC", "H", ("514", "438"), 1),
    ("Gatineau", "QC", "J", ("819", "873"), 1),
    ("Vancouver", "BC", "V", ("604", "778"), 1),
    ("Calgary", "AB", "T", ("403", "587"), 1),
    ("Winnipeg", "MB", "R", ("204", "431"), 1),
    ("Halifax", "NS", "B", ("902", "782"), 1),
)

#: (city, state, ZIP prefix, area code, weight) — snowbirds and cross-border commuters
US_CITIES = (
    ("Buffalo", "NY", "142", "716", 3),
    ("Detroit", "MI", "482", "313", 2),
    ("Rochester", "NY", "146", "585", 1),
    ("Boston", "MA", "021", "617", 1),
    ("Seattle", "WA", "981", "206", 1),
    ("Fort Lauderdale", "FL", "333", "954", 1),
)

POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"

RELATIONSHIPS = ("spouse", "partner", "mother", "father", "daughter", "son", "sister", "brother", "friend")

BLOOD_GROUPS = (("O+", 39), ("A+", 36), ("B+", 8), ("AB+", 3), ("O-", 7), ("A-", 6), ("B-", 1), ("AB-", 1))

CONTACT_METHODS = (("phone", 40), ("sms", 25), ("email", 25), ("portal", 10))

#: (substance, category, reactions)
ALLERGENS = (
    ("Penicillin", "medication", ("hives", "rash", "anaphylaxis")),
    ("Amoxicillin", "medication", ("rash", "hives")),
    ("Sulfa drugs", "medication", ("rash", "Stevens-Johnson syndrome", "fever")),
    ("Codeine", "medication", ("nausea", "itching")),
    ("Ibuprofen", "medication", ("bronchospasm", "hives")),
    ("ASA (aspirin)", "medication", ("bronchospasm", "angioedema")),
    ("Cephalexin", "medication", ("rash",)),
    ("Iodinated contrast", "medication", ("hives", "anaphylaxis")),
    ("Latex", "environmental", ("contact dermatitis", "anaphylaxis")),
    ("Peanuts", "food", ("anaphylaxis", "hives", "throat swelling")),
    ("Tree nuts", "food", ("anaphylaxis", "hives")),
    ("Shellfish", "food", ("hives", "vomiting", "anaphylaxis")),
    ("Eggs", "food", ("hives", "eczema flare")),
    ("Bee stings", "environmental", ("anaphylaxis", "local swelling")),
    ("Dust mites", "environmental", ("rhinitis", "wheeze")),
    ("Cats", "environmental", ("rhinitis", "itchy eyes")),
)

SEVERITIES = (("mild", 45), ("moderate", 40), ("severe", 15))

#: (name, ICD-10-CM code, min age, weight, chronic) — all codes are billable codes of ICD-10-CM 2026
CONDITIONS = (
    ("Essential (primary) hypertension", "I10", 30, 30, True),
    ("Type 2 diabetes mellitus without complications", "E11.9", 30, 12, True),
    ("Type 2 diabetes mellitus with hyperglycemia", "E11.65", 35, 3, True),
    ("Type 2 diabetes mellitus with diabetic chronic kidney disease", "E11.22", 45, 2, True),
    ("Hyperlipidemia, unspecified", "E78.5", 30, 20, True),
    ("Unspecified asthma, uncomplicated", "J45.909", 3, 10, True),
    ("Chronic obstructive pulmonary disease, unspecified", "J44.9", 45, 5, True),
    ("Obesity, unspecified", "E66.9", 12, 10, True),
    ("Major depressive disorder, single episode, unspecified", "F32.9", 14, 9, False),
    ("Generalized anxiety disorder", "F41.1", 12, 10, True),
    ("Low back pain, unspecified", "M54.50", 18, 10, False),
    ("Gastro-esophageal reflux disease without esophagitis", "K21.9", 18, 10, True),
    ("Hypothyroidism, unspecified", "E03.9", 20, 7, True),
    ("Chronic kidney disease, stage 3 unspecified", "N18.30", 50, 3, True),
    ("Unspecified atrial fibrillation", "I48.91", 55, 4, True),
    ("Atherosclerotic heart disease of native coronary artery without angina pectoris", "I25.10", 50, 4, True),  # noqa: E501
    ("Heart failure, unspecified", "I50.9", 60, 2, True),
    ("Migraine, unspecified, not intractable, without status migrainosus", "G43.909", 12, 7, True),
    ("Unilateral primary osteoarthritis, right knee", "M17.11", 50, 6, True),
    ("Age-related osteoporosis without current pathological fracture", "M81.0", 60, 4, True),
    ("Benign prostatic hyperplasia without lower urinary tract symptoms", "N40.0", 50, 3, True),
    ("Vitamin D deficiency, unspecified", "E55.9", 5, 6, False),
    ("Iron deficiency anemia, unspecified", "D50.9", 5, 4, False),
    ("Atopic dermatitis, unspecified", "L20.9", 0, 5, True),
    ("Allergic rhinitis, unspecified", "J30.9", 3, 9, True),
    ("Obstructive sleep apnea (adult) (pediatric)", "G47.33", 30, 4, True),
    ("Attention-deficit hyperactivity disorder, predominantly inattentive type", "F90.0", 6, 3, True),
    ("Gout, unspecified", "M10.9", 35, 2, True),
    ("Irritable bowel syndrome, unspecified", "K58.9", 16, 4, True),
    ("Polycystic ovarian syndrome", "E28.2", 16, 2, True),
    ("Psoriasis vulgaris", "L40.0", 10, 2, True),
    ("Rheumatoid arthritis, unspecified", "M06.9", 30, 1, True),
    ("Epilepsy, unspecified, not intractable, without status epilepticus", "G40.909", 2, 1, True),
    ("Nicotine dependence, cigarettes, uncomplicated", "F17.210", 16, 6, True),
    ("Unspecified glaucoma", "H40.9", 50, 2, True),
)  # fmt: skip

#: Medications a condition is commonly treated with: code -> (name, dose, unit, frequency)
MEDICATIONS = {
    "I10": (("Amlodipine", "5", "mg", "once daily"), ("Ramipril", "10", "mg", "once daily")),
    "E11.9": (("Metformin", "500", "mg", "twice daily"), ("Empagliflozin", "10", "mg", "once daily")),
    "E11.65": (("Metformin", "1000", "mg", "twice daily"), ("Insulin glargine", "14", "units", "at bedtime")),
    "E11.22": (("Dapagliflozin", "10", "mg", "once daily"),),
    "E78.5": (("Atorvastatin", "20", "mg", "once daily"), ("Rosuvastatin", "10", "mg", "once daily")),
    "J45.909": (
        ("Salbutamol inhaler", "100", "mcg", "2 puffs as needed"),
        ("Budesonide", "200", "mcg", "twice daily"),
    ),
    "J44.9": (("Tiotropium", "18", "mcg", "once daily"),),
    "F32.9": (("Sertraline", "50", "mg", "once daily"), ("Escitalopram", "10", "mg", "once daily")),
    "F41.1": (("Escitalopram", "10", "mg", "once daily"),),
    "K21.9": (("Pantoprazole", "40", "mg", "once daily"),),
    "E03.9": (("Levothyroxine", "75", "mcg", "once daily"),),
    "I48.91": (("Apixaban", "5", "mg", "twice daily"), ("Metoprolol", "25", "mg", "twice daily")),
    "I25.10": (("ASA", "81", "mg", "once daily"),),
    "I50.9": (("Furosemide", "40", "mg", "once daily"),),
    "G43.909": (("Sumatriptan", "50", "mg", "as needed"),),
    "M17.11": (("Naproxen", "500", "mg", "twice daily"),),
    "M81.0": (("Alendronate", "70", "mg", "once weekly"),),
    "E55.9": (("Vitamin D3", "1000", "IU", "once daily"),),
    "D50.9": (("Ferrous gluconate", "300", "mg", "once daily"),),
    "J30.9": (("Cetirizine", "10", "mg", "once daily"),),
    "M10.9": (("Allopurinol", "100", "mg", "once daily"),),
    "F17.210": (("Nicotine patch", "21", "mg", "once daily"),),
}  # fmt: skip

#: (label, weight) — Canadian provincial plans are derived from the region
PRIVATE_PAYERS_CA = (
    ("Sun Life", 5),
    ("Manulife", 4),
    ("Canada Life", 4),
    ("Green Shield", 3),
    ("Blue Cross", 3),
)
PAYERS_US = (
    ("Aetna", 3),
    ("Blue Cross Blue Shield", 4),
    ("UnitedHealthcare", 4),
    ("Cigna", 2),
    ("Kaiser", 1),
)
PROVINCIAL_PLANS = {
    "ON": "OHIP", "QC": "RAMQ", "BC": "MSP", "AB": "AHCIP", "MB": "Manitoba Health", "NS": "MSI",
}  # fmt: skip

DOCTOR_SPECIALTIES = (
    ("Family Medicine", "MD, CCFP", 10),
    ("Internal Medicine", "MD, FRCPC", 2),
    ("Pediatrics", "MD, FRCPC", 1),
    ("Sports Medicine", "MD, CCFP(SEM)", 1),
)

#: appointment type -> reasons a patient books it for
REASONS = {
    "routine": ("Annual physical", "Periodic health exam", "Blood pressure check", "Well-child visit",
                "Pap test", "Diabetes review"),
    "follow_up": ("Follow-up: blood pressure", "Follow-up: lab results", "Follow-up: medication change",
                  "Follow-up: back pain", "Follow-up: mood", "Follow-up: diabetes"),
    "urgent": ("Sore throat", "Fever and cough", "Ankle injury", "Urinary symptoms", "Rash", "Ear pain",
               "Chest cold", "Abdominal pain"),
    "consultation": ("New patient intake", "Pre-operative assessment", "Second opinion", "Travel medicine"),
    "procedure": ("Mole removal", "Joint injection", "IUD insertion", "Wart cryotherapy", "Ear irrigation",
                  "Suture removal"),
    "telemedicine": ("Lab results review", "Medication review", "Mental health check-in",
                     "Prescription renewal"),
}  # fmt: skip

CANCEL_REASONS = (
    "Patient request", "Patient unwell", "Scheduling conflict", "Transportation issue",
    "Clinician unavailable", "Weather",
)  # fmt: skip

TASKS = (
    ("Call patient with lab results", "follow_up"),
    ("Book follow-up appointment", "follow_up"),
    ("Complete referral to cardiology", "referral"),
    ("Complete referral to dermatology", "referral"),
    ("Review imaging report", "review"),
    ("Review outside consult letter", "review"),
    ("Sign prescription renewal", "order"),
    ("Order repeat HbA1c", "order"),
    ("Complete insurance form", "documentation"),
    ("Finish visit note", "documentation"),
    ("Prior authorization request", "documentation"),
    ("Update immunization record", "other"),
)

#: (type, severity, title, message)
ALERTS = (
    ("lab_result", "critical", "Critical potassium", "Serum potassium 6.4 mmol/L; repeat and review today."),
    ("lab_result", "critical", "Critical INR", "INR 5.8 on warfarin; hold dose and call patient."),
    ("lab_result", "high", "Abnormal HbA1c", "HbA1c 9.8%; review diabetes management."),
    ("lab_result", "medium", "Result available", "Lipid panel resulted; no critical values."),
    ("medication", "high", "Interaction warning", "New prescription interacts with an active anticoagulant."),
    ("medication", "medium", "Renewal due", "Maintenance medication runs out within 7 days."),
    ("appointment", "low", "Missed appointment", "Patient did not attend the scheduled visit."),
    ("appointment", "medium", "Schedule change", "An appointment was cancelled by the patient."),
    ("task", "medium", "Task overdue", "An assigned task is past its due time."),
    ("system", "low", "Backup complete", "The nightly backup completed."),
)
