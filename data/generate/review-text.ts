import type { Random } from './random.ts'

// Portuguese snippets in the style of Olist reviews; some carry commas, quotes and line breaks
// (CRLF as in the real file) so the CSV quoting paths get exercised.
const GOOD = [
  'Produto chegou antes do prazo, muito bom.',
  'Recomendo o vendedor, entrega rápida e produto de qualidade',
  'Ótimo produto, exatamente como na descrição!',
  'Comprei "de presente" e a pessoa amou.',
  'Chegou tudo certo.\r\nEmbalagem muito bem feita, parabéns',
  'Excelente custo-benefício',
  'Muito satisfeita com a compra, voltarei a comprar',
] as const
const MIXED = [
  'Produto ok, mas a entrega demorou um pouco',
  'Bom, porém a cor é diferente da foto',
  'Veio sem o manual, de resto tudo "normal".',
  'Razoável.\nEsperava mais pelo preço',
] as const
const BAD = [
  'Não recebi o produto até agora',
  'Produto veio com defeito, quero a troca',
  'Comprei 2 unidades e só chegou 1, aguardando resposta do vendedor',
  'Péssimo, atrasou muito.\r\nNão compro mais nessa loja',
  'O produto "original" é falsificado, decepcionado',
  'Entrega atrasada, sem nenhuma informação do rastreio',
] as const
const TITLES = {
  good: ['Recomendo', 'Muito bom', 'Excelente', 'Super recomendo!'],
  mixed: ['Ok', 'Razoável', 'Bom, mas...'],
  bad: ['Não recebi', 'Péssimo', 'Produto com defeito', 'Atraso'],
} as const

// Unhappy buyers write more often, as in Olist (about 41% of all reviews carry a message).
const MESSAGE_CHANCE = [0, 0.75, 0.6, 0.5, 0.35, 0.33] as const
const TITLE_CHANCE = 0.12

export interface ReviewText {
  readonly title: string | null
  readonly message: string | null
}

export function reviewText(score: number, random: Random): ReviewText {
  const tone = score >= 4 ? 'good' : score === 3 ? 'mixed' : 'bad'
  const messages = tone === 'good' ? GOOD : tone === 'mixed' ? MIXED : BAD
  const message = random.chance(MESSAGE_CHANCE[score] ?? 0) ? random.pick(messages) : null
  const title = random.chance(TITLE_CHANCE) ? random.pick(TITLES[tone]) : null
  return { title, message }
}
