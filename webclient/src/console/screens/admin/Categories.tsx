import { useState } from "preact/hooks";
import { api } from "../../api";
import { t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { Category } from "../../types";
import { CellInput, fieldError, TextInput, useForm, WriteError } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

export function Categories(_props: ScreenProps) {
  const categories = useResource(() => api.categories(true), []);
  const form = useForm({ code: "", name_zh: "", name_en: "" });
  const { field } = form;
  const [note, setNote] = useState(false);
  const create = form.submit(async () => {
    setNote(false);
    await api.createCategory({ ...form.values, active: true });
    form.reset();
    setNote(true);
    categories.reload();
  });

  return (
    <section data-testid="categories">
      <h1>{t("cats.title")}</h1>
      <form class="cn-panel" noValidate onSubmit={create} aria-labelledby="new-cat">
        <h2 id="new-cat">{t("cats.new")}</h2>
        <div class="cn-toolbar">
          <TextInput label={t("cats.code")} {...field("code")} />
          <TextInput label={t("cats.nameZh")} {...field("name_zh")} />
          <TextInput label={t("cats.nameEn")} {...field("name_en")} />
          <button type="submit" class="cn-button">
            {t("console.create")}
          </button>
        </div>
        {note && <Notice kind="ok">{t("console.saved")}</Notice>}
        <WriteError error={form.error} />
      </form>
      <Async resource={categories}>
        {(list) => (
          <TableBox caption={t("cats.title")} testid="category-table">
            <ColumnHeads
              columns={[
                t("cats.code"),
                t("cats.nameZh"),
                t("cats.nameEn"),
                t("cats.active"),
                t("console.actions"),
              ]}
            />
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
    <CellInput
      label={`${category.code}: ${label}`}
      value={row[name]}
      onValue={(value) => {
        setRow((r) => ({ ...r, [name]: value }));
        setSaved(false);
      }}
      error={fieldError(error, name)}
    />
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
        <WriteError error={error} inline />
      </td>
    </tr>
  );
}
