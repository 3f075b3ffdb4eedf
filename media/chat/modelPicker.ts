/** The model `<select>`, filled from the host's model list (Ollama `/api/tags` through the relay). */
import { element } from './dom';

export class ModelPicker {
  constructor(
    private readonly select: HTMLSelectElement,
    onSelect: (model: string) => void,
  ) {
    select.addEventListener('change', () => {
      if (select.value) onSelect(select.value);
    });
  }

  get model(): string {
    return this.select.value;
  }

  get models(): string[] {
    return Array.from(this.select.options, (option) => option.value).filter((value) => value !== '');
  }

  set(models: string[], model: string): void {
    const names = model && !models.includes(model) ? [model, ...models] : models;
    const options = names.map((name) => element('option', { text: name, attributes: { value: name } }));
    // Without a chosen model, showing the first one would suggest a choice the host has not made.
    if (!model) options.unshift(element('option', { text: names.length ? 'Select a model' : 'No models', attributes: { value: '', disabled: '' } }));
    this.select.replaceChildren(...options);
    this.select.value = model;
    this.select.disabled = names.length === 0;
  }
}
