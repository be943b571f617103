/**
 * Brazil's 27 states with rough Olist customer and seller shares, CEP prefix ranges, a centre
 * and spread for coordinates, and a few real city names (lowercase, unaccented like Olist).
 */
export interface StateProfile {
  readonly code: string
  /** Share of customers, percent (Olist 2016-2018, rounded). */
  readonly customers: number
  /** Share of sellers, percent; small states get a token share so all 27 appear at scale. */
  readonly sellers: number
  readonly zipFrom: number
  readonly zipTo: number
  readonly lat: number
  readonly lng: number
  /** Degrees around the centre that points spread over. */
  readonly spread: number
  readonly cities: readonly string[]
}

const s = (
  code: string,
  customers: number,
  sellers: number,
  zipFrom: number,
  zipTo: number,
  lat: number,
  lng: number,
  spread: number,
  cities: readonly string[],
): StateProfile => ({ code, customers, sellers, zipFrom, zipTo, lat, lng, spread, cities })

export const STATES: readonly StateProfile[] = [
  s('SP', 41.9, 59.7, 1000, 19999, -22.5, -48.5, 2, [
    'sao paulo',
    'campinas',
    'guarulhos',
    'santo andre',
    'sorocaba',
    'ribeirao preto',
    'santos',
    'sao jose dos campos',
    'osasco',
    'jundiai',
  ]),
  s('RJ', 12.9, 5.5, 20000, 28999, -22.5, -43.2, 1, [
    'rio de janeiro',
    'niteroi',
    'nova iguacu',
    'duque de caxias',
    'sao goncalo',
    'petropolis',
  ]),
  s('MG', 11.7, 7.9, 30000, 39999, -18.5, -44.5, 3, [
    'belo horizonte',
    'uberlandia',
    'contagem',
    'juiz de fora',
    'betim',
    'montes claros',
  ]),
  s('RS', 5.5, 4.2, 90000, 99999, -29.7, -53.2, 2, [
    'porto alegre',
    'caxias do sul',
    'canoas',
    'pelotas',
    'santa maria',
  ]),
  s('PR', 5.1, 11.3, 80000, 87999, -24.6, -51.5, 2, [
    'curitiba',
    'londrina',
    'maringa',
    'ponta grossa',
    'cascavel',
  ]),
  s('SC', 3.7, 6.1, 88000, 89999, -27.3, -50.4, 1.3, [
    'florianopolis',
    'joinville',
    'blumenau',
    'sao jose',
    'itajai',
  ]),
  s('BA', 3.4, 0.6, 40000, 48999, -12.5, -41.5, 3, [
    'salvador',
    'feira de santana',
    'vitoria da conquista',
    'camacari',
  ]),
  s('DF', 2.2, 1.0, 70000, 72799, -15.8, -47.9, 0.3, ['brasilia', 'taguatinga', 'ceilandia']),
  s('ES', 2.0, 0.75, 29000, 29999, -19.6, -40.5, 0.9, [
    'vitoria',
    'vila velha',
    'serra',
    'cariacica',
  ]),
  s('GO', 2.0, 1.3, 72800, 76799, -16.0, -49.5, 2, ['goiania', 'aparecida de goiania', 'anapolis']),
  s('PE', 1.7, 0.3, 50000, 56999, -8.3, -37.9, 1.5, [
    'recife',
    'jaboatao dos guararapes',
    'olinda',
    'caruaru',
  ]),
  s('CE', 1.3, 0.4, 60000, 63999, -5.2, -39.5, 1.5, ['fortaleza', 'caucaia', 'juazeiro do norte']),
  s('PA', 1.0, 0.1, 66000, 68899, -3.8, -52.5, 4, ['belem', 'ananindeua', 'santarem']),
  s('MT', 0.9, 0.13, 78000, 78899, -13.0, -56.0, 3, ['cuiaba', 'varzea grande', 'rondonopolis']),
  s('MA', 0.75, 0.1, 65000, 65999, -4.9, -45.3, 2.5, ['sao luis', 'imperatriz']),
  s('MS', 0.7, 0.16, 79000, 79999, -20.5, -54.8, 2, ['campo grande', 'dourados']),
  s('PB', 0.54, 0.2, 58000, 58999, -7.1, -36.7, 0.8, ['joao pessoa', 'campina grande']),
  s('PI', 0.5, 0.1, 64000, 64999, -7.7, -42.7, 2, ['teresina', 'parnaiba']),
  s('RN', 0.49, 0.16, 59000, 59999, -5.8, -36.5, 0.8, ['natal', 'mossoro']),
  s('AL', 0.4, 0.1, 57000, 57999, -9.6, -36.6, 0.6, ['maceio', 'arapiraca']),
  s('SE', 0.35, 0.1, 49000, 49999, -10.6, -37.4, 0.5, ['aracaju', 'nossa senhora do socorro']),
  s('TO', 0.28, 0.1, 77000, 77999, -10.2, -48.3, 2, ['palmas', 'araguaina']),
  s('RO', 0.25, 0.1, 76800, 76999, -10.8, -62.8, 1.8, ['porto velho', 'ji-parana']),
  s('AM', 0.15, 0.1, 69000, 69299, -3.5, -63.5, 4, ['manaus', 'parintins']),
  s('AC', 0.08, 0.1, 69900, 69999, -9.0, -70.3, 1.5, ['rio branco', 'cruzeiro do sul']),
  s('AP', 0.07, 0.1, 68900, 68999, 1.4, -51.8, 1, ['macapa', 'santana']),
  s('RR', 0.05, 0.1, 69300, 69399, 2.1, -61.3, 1.2, ['boa vista', 'rorainopolis']),
]
