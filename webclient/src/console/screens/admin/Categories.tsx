import { useState } from "preact/hooks";
import { api } from "../../api";
import { t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { Category } from "../../types";
import { fieldError, hasFieldErrors, TextInput } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async, errorText, Notice } from "../../ui/States";
import { TableBox } from "../../ui/Table";

export function Categories(_props: ScreenProps) {
  const categories = useResource(() => api.categories(true), []);
  const empty = { code: "", name_zh: "", name_en: "" };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState(false);
  const set = (name: keyof typeof empty) => (value: string) =>
    setForm((f) => ({ ...f, [name]: value }));

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    setNote(false);
    try {
      await api.createCategory({ ...form, active: true });
      setForm(empty);
      setNote(true);
      categories.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section data-testid="categories">
      <h1>{t("cats.title")}</h1>
      <form class="cn-panel" noValidate onSubmit={create} aria-labelledby="new-cat">
        <h2 id="new-cat">{t("cats.new")}</h2>
        <div class="cn-toolbar">
          <TextInput
            label={t("cats.code")}
            name="code"
            value={form.code}
            onValue={set("code")}
            error={fieldError(error, "code")}
          />
          <TextInput
            label={t("cats.nameZh")}
            name="name_zh"
            value={form.name_zh}
            onValue={set("name_zh")}
            error={fieldError(error, "name_zh")}
          />
          <TextInput
            label={t("cats.nameEn")}
            name="name_en"
            value={form.name_en}
            onValue={set("name_en")}
            error={fieldError(error, "name_en")}
          />
          <button type="submit" class="cn-button">
            {t("console.create")}
          </button>
        </div>
        {note && <Notice kind="ok">{t("console.saved")}</Notice>}
        {error !== null && !hasFieldErrors(error) && (
          <Notice kind="error">{errorText(error)}</Notice>
        )}
      </form>
      <Async resource={categories}>
        {(list) => (
          <TableBox caption={t("cats.title")} testid="category-table">
            <thead>
              <tr>
                <th scope="col">{t("cats.code")}</th>
                <th scope="col">{t("cats.nameZh")}</th>
                <th scope="col">{t("cats.nameEn")}</th>
                <th scope="col">{t("cats.active")}</th>
                <th scope="col">{t("console.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <CategoryRow key={c.id ?? c.code} category={c} onSaved={categories.reload} />
              ))}
            </tbody>
          </TableBox>
        )}
      </Async>
    </section>
  );
}

function CategoryRow({ category, onSaved }: { category: Category; onSaved: () => void }) {
  const [row, setRow] = useState({
    name_zh: category.name_zh,
    name_en: category.name_en,
    active: category.active ?? true,
  });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  async function save() {
    setError(null);
    try {
      await api.updateCategory(category.id ?? category.code, {
        ...row,
        ...(category.version ? { version: category.version } : {}),
      });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  const input = (name: "name_zh" | "name_en", label: string) => (
    <td>
      <input
        aria-label={`${category.code}: ${label}`}
        value={row[name]}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setRow((r) => ({ ...r, [name]: value }));
          setSaved(false);
        }}
      />
      {fieldError(error, name) && <p class="cn-error">{fieldError(error, name)}</p>}
    </td>
  );
  return (
    <tr>
      <th scope="row">{category.code}</th>
      {input("name_zh", t("cats.nameZh"))}
      {input("name_en", t("cats.nameEn"))}
      <td>
        <input
          type="checkbox"
          aria-label={`${category.code}: ${t("cats.active")}`}
          checked={row.active}
          onChange={(e) => {
            const active = e.currentTarget.checked;
            setRow((r) => ({ ...r, active }));
            setSaved(false);
          }}
        />
      </td>
      <td>
        <button type="button" class="cn-button cn-secondary cn-small" onClick={() => void save()}>
          {t("cats.saveRow", { name: category.code })}
        </button>
        {saved && <Notice kind="ok">{t("console.saved")}</Notice>}
        {error !== null && !hasFieldErrors(error) && <p class="cn-error">{errorText(error)}</p>}
      </td>
    </tr>
  );
}
