"""scikit-uplift's TwoModels and ClassTransformation with scikit-learn's LogisticRegression (C=1) on
Hillstrom, Womens E-Mail vs No E-Mail, outcome visit: the features one-hot encoded as `retail eval
uplift` encodes them, 10 random 50/50 splits stratified by treatment x outcome, each scored on its test
half by sklift's qini_auc_score and uplift_at_k(k=0.3, strategy="overall"). Prints one JSON line per
model with the mean and sample standard deviation."""
import json
import warnings
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklift.metrics import qini_auc_score, uplift_at_k
from sklift.models import ClassTransformation, TwoModels

warnings.filterwarnings("ignore", category=FutureWarning)  # sklearn deprecations inside sklift
path, splits = sys.argv[1], int(sys.argv[2])
df = pd.read_csv(path)
df = df[df.segment.isin(["Womens E-Mail", "No E-Mail"])].reset_index(drop=True)
treatment = (df.segment == "Womens E-Mail").astype(int).to_numpy()
outcome = df.visit.to_numpy()
features = pd.get_dummies(
    df[["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]],
    columns=["history_segment", "zip_code", "channel"],
).astype(float)


def logistic():
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


models = {
    "sklift_two_model": lambda: TwoModels(estimator_trmnt=logistic(), estimator_ctrl=logistic(), method="vanilla"),
    "sklift_class_transformation": lambda: ClassTransformation(estimator=logistic()),
}
for name, make in models.items():
    started = time.time()
    qini, at30 = [], []
    for split in range(splits):
        strata = treatment * 2 + outcome
        x_train, x_test, y_train, y_test, t_train, t_test = train_test_split(
            features, outcome, treatment, test_size=0.5, stratify=strata, random_state=42 + split
        )
        model = make()
        model.fit(x_train, y_train, t_train)
        uplift = model.predict(x_test)
        qini.append(qini_auc_score(y_test, uplift, t_test))
        at30.append(uplift_at_k(y_test, uplift, t_test, strategy="overall", k=0.3))
    print(json.dumps({
        "model": name, "splits": splits,
        "qini": {"mean": float(np.mean(qini)), "std": float(np.std(qini, ddof=1))},
        "uplift_at_30": {"mean": float(np.mean(at30)), "std": float(np.std(at30, ddof=1))},
        "seconds": time.time() - started,
    }))
